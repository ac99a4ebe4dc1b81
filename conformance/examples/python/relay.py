#!/usr/bin/env python3
"""A Relay Contract v2 relay (browser protocol) in plain Python (standard library only).

Proof that the conformance suite is language-agnostic, not a product: it reads its configuration the way
the runner hands it over (POSTERN_PROFILE as JSON, PORT) and checks events against the contract's own
JSON Schemas in ../../schemas/events/ with a small validator for the keywords those schemas use. Like the
TypeScript core (Ajv with `removeAdditional: true`), the check also removes the keys a closed object does not
list, so what goes upstream is what DebugBundle's ingestion accepts.

    POSTERN_PROFILE='{"projectToken":"t","allowedOrigins":["https://app.example"],"endpoint":"http://127.0.0.1:9000/v1/events"}' \
    PORT=8080 python3 relay.py
"""
import functools
import http.client
import ipaddress
import json
import math
import os
import re
import socket
import random
import threading
import time
import uuid
import urllib.error
import urllib.request
from collections import OrderedDict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "events"
BROWSER_TYPES = ["frontend_exception", "error_suppressed", "frontend_breadcrumb", "request_event", "probe_event", "analytics_event"]
SERVER_ONLY_TYPES = {"backend_exception", "log_event", "deploy_metadata"}
# Keys only the server side sets: a browser's are removed, never a reason to reject the event (R-SANITIZE-1).
SERVER_SIDE_KEYS = ("project_token", "project_id")
CREDENTIAL_HEADERS = {"authorization", "cookie", "x-api-key"}
DEFAULT_PORTS = {"http": 80, "https": 443}
HOST_HEADER = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9.])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")
NAMED_RANGES = {
    "loopback": ["127.0.0.0/8", "::1/128"],
    "linklocal": ["169.254.0.0/16", "fe80::/10"],
    "uniquelocal": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
}
ERRORS = {
    "method_not_allowed": (405, "Only POST and OPTIONS are served on this route."),
    "not_found": (404, "No relay is mounted at this path."),
    "origin_missing": (403, "The request carries neither an Origin nor a Referer header."),
    "origin_not_allowed": (403, "The request origin is not allowed to send events."),
    "rate_limited": (429, "Too many requests from this client; retry after the given delay."),
    "unsupported_media_type": (415, "The body must be sent as application/json, without Content-Encoding."),
    "payload_too_large": (413, "The body is larger than this relay accepts."),
    "invalid_json": (400, "The body is not valid UTF-8 JSON, or nests deeper than 64 levels."),
    "invalid_body": (400, 'The body must be a JSON object with a "batch" array.'),
    "batch_empty": (400, "The batch holds no events."),
    "batch_too_large": (413, "The batch holds more events than this relay takes in one request."),
    "body_incomplete": (400, "The body ended before the length it announced."),
    "internal_error": (500, "The relay failed; nothing was accepted."),
    "upstream_unreachable": (502, "The upstream could not be reached; nothing was accepted."),
    "upstream_timeout": (504, "The upstream did not answer in time; nothing was accepted."),
    "upstream_error": (502, "The upstream failed; nothing was accepted."),
    "upstream_rejected": (502, "The upstream refused the delivery; nothing was accepted."),
    "upstream_rate_limited": (503, "The upstream is rate limiting this relay; retry later."),
    "spool_full": (503, "The relay's spool is full; nothing was accepted. Retry later."),
    "spool_unavailable": (503, "The relay could not store the batch; nothing was accepted."),
}


class Refusal(Exception):
    def __init__(self, code, headers=None, message=None):
        super().__init__(code)
        self.code = code
        self.headers = headers or {}
        self.message = message


class UpstreamFailure(Exception):
    """A delivery the upstream did not take: the contract code, whether trying again can help, and any Retry-After."""

    def __init__(self, code, retryable, retry_after=None):
        super().__init__(code)
        self.code, self.retryable, self.retry_after = code, retryable, retry_after


# --- ECMAScript patterns in Python's re ----------------------------------------------------------------
#
# JSON Schema patterns are ECMAScript regexes (Ajv compiles them with the `u` flag). The contract's are
# written in the subset both languages share, but a few tokens mean something else in Python and are
# translated: `$` also matches before a final "\n" in Python (a "US\n" country code would pass), `\s` has
# another idea of whitespace (Python counts \x1c-\x1f and \x85, not \ufeff), `.` stops only at "\n", and
# `\b`, `\w`, `\d` are Unicode-aware unless re.ASCII is set.

JS_WHITESPACE = sorted({0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF})


def _class_body(points):
    """A character-class body (no brackets) for a sorted list of code points, as runs of \\U escapes."""
    runs, start = [], None
    for index, point in enumerate(points):
        start = point if start is None else start
        if index + 1 == len(points) or points[index + 1] != point + 1:
            runs.append(f"\\U{start:08x}" if start == point else f"\\U{start:08x}-\\U{point:08x}")
            start = None
    return "".join(runs)


def _complement_body(points):
    """A character-class body for every code point not in `points`, so `\\S` can stand inside a class (`[\\s\\S]`)."""
    runs, low = [], 0
    for point in points + [0x110000]:
        if point > low:
            runs.append(f"\\U{low:08x}-\\U{point - 1:08x}")
        low = point + 1
    return "".join(runs)


SPACE_BODY, NON_SPACE_BODY = _class_body(JS_WHITESPACE), _complement_body(JS_WHITESPACE)
LINE_TERMINATORS = "\\n\\r\\u2028\\u2029"


@functools.lru_cache(maxsize=None)
def js_pattern(source):
    """`source`, an ECMAScript pattern, compiled to a Python regex that matches the same strings (used with re.search)."""
    out, in_class, index = [], False, 0
    while index < len(source):
        char = source[index]
        if char == "\\" and index + 1 < len(source):
            escaped = source[index + 1]
            index += 2
            if escaped == "s":
                out.append(SPACE_BODY if in_class else f"[{SPACE_BODY}]")
            elif escaped == "S":
                out.append(NON_SPACE_BODY if in_class else f"[{NON_SPACE_BODY}]")
            else:
                out.append(char + escaped)
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            char = r"\Z"
        elif char == ".":
            char = f"[^{LINE_TERMINATORS}]"
        out.append(char)
        index += 1
    return re.compile("".join(out), re.ASCII)


# --- the contract's event schemas ------------------------------------------------------------------

def _qualify_refs(node, document):
    """Rewrites refs local to a file (`#/$defs/x`) as `<file>#/$defs/x`, so every ref resolves without knowing where it sits."""
    if isinstance(node, dict):
        return {key: (f"{document}{value}" if key == "$ref" and isinstance(value, str) and value.startswith("#") else _qualify_refs(value, document))
                for key, value in node.items()}
    if isinstance(node, list):
        return [_qualify_refs(value, document) for value in node]
    return node


def load_schemas():
    documents = {}
    for name in ["common", *BROWSER_TYPES]:
        file = f"{name}.schema.json"
        documents[file] = _qualify_refs(json.loads((SCHEMA_DIR / file).read_text()), file)
    return documents


DOCUMENTS = load_schemas()
TYPE_SCHEMAS = {name: DOCUMENTS[f"{name}.schema.json"] for name in BROWSER_TYPES}


def resolve(ref):
    """The subschema a `<file>#/json/pointer` ref names."""
    document, _, pointer = ref.partition("#")
    node = DOCUMENTS[document]
    for part in filter(None, pointer.split("/")):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def correlation_keys(kind):
    """The correlation keys a type's schema lists (R-CORR-1): analytics_event has its own five, the others share four."""
    correlation = TYPE_SCHEMAS[kind]["properties"]["correlation"]
    while "$ref" in correlation:
        correlation = resolve(correlation["$ref"])
    return list(correlation.get("properties", {}))


CORRELATION_KEYS = {kind: correlation_keys(kind) for kind in BROWSER_TYPES}


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def json_type_ok(expected, value):
    if isinstance(expected, list):
        return any(json_type_ok(one, value) for one in expected)
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
        # JSON has one number type: 1.0 is an integer, as JavaScript's Number.isInteger says.
        "integer": lambda v: is_number(v) and (isinstance(v, int) or v.is_integer()),
        "number": is_number,
    }
    return checks[expected](value)


def json_equal(a, b):
    """Equality as JSON Schema's const and enum mean it: Python's True == 1 and 1 == 1.0 are not both JSON's."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if is_number(a) or is_number(b):
        return is_number(a) and is_number(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[key], b[key]) for key in a)
    return type(a) is type(b) and a == b


def schema_error(schema, value, path, remove):
    """The first way `value` breaks `schema`, or None. Messages name the place and the rule, never the value.

    With `remove`, a closed object (`additionalProperties: false`) loses the keys it does not list instead
    of failing on them, at every depth, as Ajv's `removeAdditional: true` does in the TypeScript core. The
    subschemas that only test a value (`if`, `not`, `anyOf`) never remove anything: a condition that
    happens not to hold must not have changed the event.
    """
    where = path or "(event)"
    if schema is True:
        return None
    if schema is False:
        return f"{where} is not allowed"
    if "$ref" in schema:
        problem = schema_error(resolve(schema["$ref"]), value, path, remove)
        if problem:
            return problem
    if "type" in schema and not json_type_ok(schema["type"], value):
        expected = schema["type"] if isinstance(schema["type"], str) else " or ".join(schema["type"])
        return f"{where} must be {expected}"
    if "const" in schema and not json_equal(value, schema["const"]):
        return f"{where} must be {json.dumps(schema['const'])}"
    if "enum" in schema and not any(json_equal(value, option) for option in schema["enum"]):
        return f"{where} must be one of {', '.join(map(json.dumps, schema['enum']))}"
    if "not" in schema and schema_error(schema["not"], value, path, False) is None:
        return f"{where} has a form that is not allowed"
    if "anyOf" in schema and all(schema_error(option, value, path, False) for option in schema["anyOf"]):
        return f"{where} matches none of the allowed forms"
    for part in schema.get("allOf", []):
        problem = schema_error(part, value, path, remove)
        if problem:
            return problem
    if "if" in schema:
        branch = "then" if schema_error(schema["if"], value, path, False) is None else "else"
        if branch in schema:
            problem = schema_error(schema[branch], value, path, remove)
            if problem:
                return problem
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return f"{where} is too short"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return f"{where} is too long"
        if "pattern" in schema and not js_pattern(schema["pattern"]).search(value):
            return f"{where} does not match the expected format"
    if is_number(value):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{where} must be at least {schema['minimum']}"
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            return f"{where} must be more than {schema['exclusiveMinimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{where} must be at most {schema['maximum']}"
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            return f"{where} must be less than {schema['exclusiveMaximum']}"
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return f"{where} has too few items"
        if "items" in schema:
            for index, item in enumerate(value):
                problem = schema_error(schema["items"], item, f"{path}/{index}", remove)
                if problem:
                    return problem
    if isinstance(value, dict):
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            return f"{where} has more than {schema['maxProperties']} keys"
        for key in schema.get("required", []):
            if key not in value:
                return f"{where} must have {key}"
        if "propertyNames" in schema:
            for key in value:
                if schema_error(schema["propertyNames"], key, path, False):
                    return f"{where} has a key name that is not allowed"
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key in list(value):
            if key in properties:
                sub = properties[key]
            elif extra is False and remove:
                del value[key]
                continue
            else:
                sub = extra
            if sub is not None:
                problem = schema_error(sub, value[key], f"{path}/{pointer_token(key)}", remove)
                if problem:
                    return problem
    return None


def pointer_token(key):
    """A key as a JSON Pointer token, cut short: the browser chooses key names, the message must stay small."""
    token = key.replace("~", "~0").replace("/", "~1")
    return token if len(token) <= 64 else token[:64] + "…"


def check_event(item, prepare):
    """(code, message) for an item the relay must reject, or None. `prepare` runs first (section 11) and the
    check removes the keys the type's schema does not list; both change `item` in place."""
    if not isinstance(item, dict):
        return "event_not_object", "event must be a JSON object"
    kind = item.get("event_type")
    if not isinstance(kind, str):
        return "event_type_missing", 'event has no string "event_type"'
    if kind in SERVER_ONLY_TYPES:
        return "event_type_server_only", f'event type "{kind}" is accepted only from server SDKs'
    if kind not in TYPE_SCHEMAS:
        return "event_type_unknown", f'event type "{kind[:64]}" is not accepted'
    prepare(item, kind)
    problem = schema_error(TYPE_SCHEMAS[kind], item, "", True)
    return ("event_invalid", f"{kind}: {problem}") if problem else None


# Deeper than any event DebugBundle's SDKs send, far below what Python's recursion limit (parsing, checking,
# serialising again upstream or to the spool) could not take (R-BODY-6).
MAX_JSON_DEPTH = 64
# Rejections an answer lists at most; `rejected` counts them all, so a batch of junk buys no huge answer (R-EVENT-7).
MAX_LISTED_REJECTIONS = 256
# A JSON string, escapes included, to its closing quote or, unterminated, to the end of the text (the loop is
# unrolled, so matching never backtracks); or one bracket.
JSON_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[{\]}]', re.DOTALL)


def nests_deeper_than(text, limit):
    """Whether JSON text nests objects and arrays deeper than `limit`: one pass over the text, strings skipped,
    before the parser runs (so its recursion is never the limit)."""
    depth = 0
    for match in JSON_STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > limit:
                return True
        elif token == "]" or token == "}":
            depth -= 1
    return False


def reject_constant(name):
    """NaN and Infinity are not JSON (JavaScript's JSON.parse refuses them); Python's json would take them."""
    raise ValueError(f"{name} is not JSON")


def finite_float(text):
    """1e400 parses as infinity, which no JSON encoder can write back: refused like any other body we cannot forward."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


# --- origin, client address, rate limit -----------------------------------------------------------------

def ipv6_text(address):
    """An IPv6 address as a URL parser writes it (WHATWG): lowercase hex pieces, the longest run of two or more
    zero pieces (the first of equal runs) as `::`, never a dotted IPv4 tail, whatever Python's str() does."""
    pieces = [int.from_bytes(address.packed[i:i + 2], "big") for i in range(0, 16, 2)]
    start, length = -1, 1
    index = 0
    while index < 8:
        if pieces[index] == 0:
            end = index
            while end < 8 and pieces[end] == 0:
                end += 1
            if end - index > length:
                start, length = index, end - index
            index = end
        else:
            index += 1
    hexes = [f"{piece:x}" for piece in pieces]
    if start < 0:
        return ":".join(hexes)
    return ":".join(hexes[:start]) + "::" + ":".join(hexes[start + length:])


def ipv4_number(part):
    """One part of a host a URL parser reads as IPv4 (`0x7f`, `0177`, `127`), or None."""
    if part[:2] in ("0x", "0X"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part[0] == "0":
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if digits == "":
        return 0
    allowed = "0123456789abcdefABCDEF"[:22 if base == 16 else base]
    return int(digits, base) if all(char in allowed for char in digits) else None


FORBIDDEN_HOST_CHARS = set(" #%/:<>?@[\\]^|\x7f") | {chr(point) for point in range(0x20)}


def url_host(host):
    """A host (IPv6 without brackets) as a URL parser (WHATWG) makes it, or None where the parser fails.

    A host that ends in a number is an IPv4 address in any of the forms a URL parser takes (`0x7f.1`,
    `127.1`, `2130706433`), written back as a dotted quad; an IPv6 address is written back compressed; a name
    is lowercased. Names that are not plain ASCII are refused rather than mapped: a browser sends them as
    punycode, and this relay carries no IDNA tables.
    """
    if ":" in host:
        try:
            return None if "%" in host else ipv6_text(ipaddress.IPv6Address(host))
        except ValueError:
            return None
    if not host or not host.isascii() or any(char in FORBIDDEN_HOST_CHARS for char in host):
        return None
    host = host.lower()
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    last = parts[-1]
    if last and (last.isdigit() or ipv4_number(last) is not None):
        numbers = [ipv4_number(part) if part else None for part in parts]
        if len(numbers) > 4 or None in numbers or any(number > 255 for number in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
            return None
        value = sum(number * 256 ** (3 - index) for index, number in enumerate(numbers[:-1])) + numbers[-1]
        return str(ipaddress.IPv4Address(value))
    for label in parts:
        if label.startswith("xn--"):
            try:
                decoded = label[4:].encode("ascii").decode("punycode")
            except (UnicodeError, ValueError):
                return None
            if decoded.isascii():
                return None
    return host


def normalise_origin(value):
    """(scheme, host, port) of an absolute http(s) URL, the port spelled out; None when it has none.

    For `allowedOrigins` and the Referer, which are URLs: their path, query, fragment and userinfo play no part
    (R-ORIGIN-1). Backslashes count as slashes, as a URL parser reads them in http(s) URLs.
    """
    try:
        parts = urlsplit(value.strip().replace("\\", "/"))
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = url_host(parts.hostname)
    if host is None:
        return None
    return parts.scheme, host, port if port is not None else DEFAULT_PORTS[parts.scheme]


# An Origin header is an origin and nothing else (RFC 6454): scheme, a host (name, IPv4 or bracketed IPv6) and
# a port in digits. No path (not even "/"), userinfo, query, fragment, backslash or list (R-ORIGIN-8).
ORIGIN_HEADER = re.compile(r"(https?)://([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?|\[[0-9A-Fa-f:.]+\])(?::(0|[1-9][0-9]{0,4}))?",
                           re.ASCII | re.IGNORECASE)


def parse_origin_header(value):
    """(scheme, host, port) of an Origin header, or None unless it is exactly an http(s) origin that a URL parser
    reads back unchanged, case and a default port aside (R-ORIGIN-4): `https://0x7f.1` is 127.0.0.1 to a
    URL parser, so it is not an origin. A Referer goes through normalise_origin instead."""
    match = ORIGIN_HEADER.fullmatch(value.strip())
    if not match:
        return None
    scheme, written, port = match.group(1).lower(), match.group(2).lower(), match.group(3)
    bracketed = written.startswith("[")
    host = url_host(written[1:-1] if bracketed else written)
    if host is None or host != (written[1:-1] if bracketed else written) or (port is not None and int(port) > 65535):
        return None
    return scheme, host, int(port) if port is not None else DEFAULT_PORTS[scheme]


def serialise_origin(origin):
    """`scheme://host[:port]`, lowercase, IPv6 in brackets, no default port: what Access-Control-Allow-Origin echoes."""
    scheme, host, port = origin
    return f"{scheme}://{f'[{host}]' if ':' in host else host}{'' if port == DEFAULT_PORTS[scheme] else f':{port}'}"


def same_origin(origin, host):
    if not host or not HOST_HEADER.match(host):
        return False
    scheme, hostname, port = origin
    try:
        parts = urlsplit(f"{scheme}://{host}")
        host_port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        return False
    return parts.hostname is not None and url_host(parts.hostname) == hostname and host_port == port


def canonical_address(value):
    """An IP address in canonical form (IPv4-mapped IPv6 unwrapped, any zone dropped), or None. IPv4 only as
    four decimal parts, as proxies write it; one pair of brackets around IPv6 is allowed."""
    bare = value.strip()
    if bare.startswith("[") and bare.endswith("]"):
        bare = bare[1:-1]
    try:
        address = ipaddress.ip_address(bare.split("%", 1)[0] if ":" in bare else bare)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


# `203.0.113.7:5000` or `[2001:db8::1]:443`: an address with the port some proxies add (Azure, IIS ARR).
ADDRESS_WITH_PORT = re.compile(r"([0-9]{1,3}(?:\.[0-9]{1,3}){3})(?::([0-9]{1,5}))?|\[([0-9A-Fa-f:.]+)\](?::([0-9]{1,5}))?", re.ASCII)


def forwarded_address(entry):
    """One X-Forwarded-For entry as an address, or None (R-CLIENT-3): an IPv4 address or a bracketed IPv6
    address, either with a port that plays no part (a port above 65535 makes it no address), or a bare
    address. A bare IPv6 address is never cut at a colon: `2001:db8::1:443` is that address."""
    match = ADDRESS_WITH_PORT.fullmatch(entry.strip())
    if not match:
        return canonical_address(entry)
    port = match.group(2) or match.group(4)
    if port is not None and int(port) > 65535:
        return None
    return canonical_address(match.group(1) or match.group(3))


def compile_trust(trust):
    if trust in (None, False):
        return lambda address, hop: False
    if trust is True:
        return lambda address, hop: True
    if isinstance(trust, int):
        return lambda address, hop: hop < trust
    networks = [ipaddress.ip_network(net, strict=False) for entry in trust for net in NAMED_RANGES.get(entry, [entry])]
    return lambda address, hop: any(ipaddress.ip_address(address) in net for net in networks if net.version == ipaddress.ip_address(address).version)


def client_address(socket_address, forwarded_for, trusts):
    current = canonical_address(socket_address) or "unknown"
    hops = [hop for hop in (forwarded_for or "").split(",")] if forwarded_for else []
    for hop in range(len(hops)):
        if current == "unknown" or not trusts(current, hop):
            return current
        following = forwarded_address(hops[len(hops) - 1 - hop])
        if following is None:
            return current
        current = following
    return current


class SlidingWindow:
    """At most `limit` requests per client in any `window` seconds, remembering at most `max_clients` clients.

    Past that bound, clients whose window is empty are forgotten first and clients at their limit last, so a
    flood of new client addresses cannot free a limited client's budget (section 6).
    """

    def __init__(self, limit, window, max_clients=100_000):
        self.limit, self.window, self.max_clients = limit, window, max_clients
        self.logs = {}
        self.lock = threading.Lock()

    def _forget(self, now):
        for key in [key for key, log in self.logs.items() if not log or log[-1] <= now - self.window]:
            del self.logs[key]
        if len(self.logs) >= self.max_clients:
            # Still too many: forget those with the most budget left, down to nine tenths so this runs rarely.
            for key in sorted(self.logs, key=lambda key: len(self.logs[key]))[:len(self.logs) - self.max_clients * 9 // 10]:
                del self.logs[key]

    def hit(self, key):
        now = time.monotonic()
        with self.lock:
            if key not in self.logs and len(self.logs) >= self.max_clients:
                self._forget(now)
            log = self.logs.setdefault(key, deque())
            while log and log[0] <= now - self.window:
                log.popleft()
            if len(log) >= self.limit:
                return False, 0, log[0] + self.window - now
            log.append(now)
            return True, self.limit - len(log), log[0] + self.window - now


# --- the relay ---------------------------------------------------------------------------------------------

class NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect from the upstream is an answer, not a delivery: following it would send the events elsewhere
    (or, for a 302, turn the POST into a bodyless GET) and count them as delivered."""

    def redirect_request(self, *args, **kwargs):
        return None


UPSTREAM = urllib.request.build_opener(NoRedirects)


class Relay:
    def __init__(self, options):
        self.token = options.get("projectToken")
        self.endpoint = options.get("endpoint", "https://api.debugbundle.com/v1/events")
        self.path = options.get("path", "/debugbundle/browser")
        self.allowed = {normalise_origin(origin) for origin in options.get("allowedOrigins", [])} or None
        self.trusts = compile_trust(options.get("trustProxy"))
        rate = options.get("rateLimit") or {"limit": options.get("rateLimitPerMinute", 60), "windowMs": 60000}
        self.limiter = SlidingWindow(rate["limit"], rate["windowMs"] / 1000)
        self.max_body = options.get("maxBodyBytes", 262144)
        self.max_batch = options.get("maxBatchEvents", 1000)
        self.timeout = options.get("upstreamTimeoutMs", 10000) / 1000
        self.service = options.get("service")
        self.environment = options.get("environment")
        self.sdk_name = options.get("sdkName", "@debugbundle/sdk-browser")
        # R-EVENT-8: SDK 3.x drops the rejected events of a 2xx for good; a 400 makes both SDKs send the batch again.
        self.rejected_status = 202 if options.get("acknowledgeRejections") else 400
        window_ms = options.get("dedupWindowMs", 600000)
        self.delivered = DeliveredIds(window_ms / 1000) if window_ms > 0 else None
        self.local_only = options.get("projectMode") == "local-only"
        self.local_dir = Path(options.get("localEventsDir", ".debugbundle/local/events"))
        self.spool = Spool(self, options) if options.get("durableWrite") and not self.local_only else None

    def check_origin(self, headers, peer_trusted):
        """Refuses a request whose origin is missing or not allowed. The origin is the Origin header, which must be
        an origin and nothing else (R-ORIGIN-8: then the Referer is not looked at); only without it, the origin of
        the Referer URL (R-ORIGIN-1)."""
        if headers.get("origin"):
            origin = parse_origin_header(headers["origin"])
        elif headers.get("referer"):
            origin = normalise_origin(headers["referer"])
        else:
            raise Refusal("origin_missing")
        if origin is None:
            raise Refusal("origin_not_allowed")
        if self.allowed is not None:
            if origin not in self.allowed:
                raise Refusal("origin_not_allowed")
            return
        host = (headers.get("x-forwarded-host") or "").split(",")[0].strip() if peer_trusted else ""
        if not same_origin(origin, host or headers.get("host")):
            raise Refusal("origin_not_allowed")

    def client(self, socket_address, headers):
        return client_address(socket_address, headers.get("x-forwarded-for"), self.trusts)

    def prepare(self, event, kind):
        """What the relay decides before the schema check (R-SANITIZE-1 to 3, R-CORR-2), in place; the check then
        removes every key the schema does not list. Same order as the TypeScript core's prepareEvent."""
        for key in SERVER_SIDE_KEYS:
            event.pop(key, None)
        event["sdk_name"] = self.sdk_name
        if self.service is not None or self.environment is not None:
            service = dict(event["service"]) if isinstance(event.get("service"), dict) else {}
            if self.service is not None:
                service["name"] = self.service
            if self.environment is not None:
                service["environment"] = self.environment
            event["service"] = service
        correlation = event.get("correlation")
        if isinstance(correlation, dict):
            # A key of another type is dropped, so the event is checked (and, if its schema allows, accepted) without it.
            for key in CORRELATION_KEYS[kind]:
                if key in correlation and correlation[key] is not None and not isinstance(correlation[key], str):
                    del correlation[key]

    def forward(self, events):
        """POSTs events upstream. The token is stamped on each event here, at the last moment, so the spool never holds it."""
        body = {"events": [{**event, "project_token": self.token} for event in events]}
        request = urllib.request.Request(self.endpoint, data=json.dumps(body).encode(), method="POST", headers={
            "authorization": f"Bearer {self.token}", "content-type": "application/json", "user-agent": "postern-python-relay/2"})
        try:
            with UPSTREAM.open(request, timeout=self.timeout):
                return
        except urllib.error.HTTPError as error:
            retry_after = error.headers["retry-after"]
            if error.code == 429:
                raise UpstreamFailure("upstream_rate_limited", True, retry_after)
            if error.code == 408 or error.code >= 500:
                # Only a 503's Retry-After is a delay for redelivery (R-DURABLE-4); a 500's means nothing.
                raise UpstreamFailure("upstream_error", True, retry_after if error.code == 503 else None)
            raise UpstreamFailure("upstream_rejected", False)
        except (TimeoutError, socket.timeout):
            raise UpstreamFailure("upstream_timeout", True)
        except urllib.error.URLError as error:
            raise UpstreamFailure("upstream_timeout" if isinstance(error.reason, (TimeoutError, socket.timeout)) else "upstream_unreachable", True)
        except (OSError, http.client.HTTPException):
            # A connection reset mid-answer, or an answer that is not HTTP: the upstream did not take the events.
            raise UpstreamFailure("upstream_unreachable", True)

    def accept(self, events):
        """Hands accepted events on: to local files, to the spool, or straight upstream; refuses if that fails.

        Event ids delivered (or stored, or written) within the dedup window are not handed on again, nor is an
        id twice in one batch (R-DELIVER-7): browser SDKs send a batch again after a 400 or a timeout, and the
        valid events of that batch must not reach the upstream once per retry. Ids of a delivery that failed
        are forgotten, so their events go out when they come again (R-DELIVER-8).
        """
        claim = self.delivered.claim(events) if self.delivered else Claim(events)
        delivered = False
        try:
            if claim.events:
                self.hand_on(claim.events)
            delivered = True
        finally:
            if self.delivered:
                self.delivered.settle(claim, delivered)

    def hand_on(self, events):
        if self.local_only:
            try:
                write_atomically(self.local_dir, events)
            except OSError:
                raise Refusal("spool_unavailable")
        elif self.spool:
            self.spool.store(events)
        else:
            try:
                self.forward(events)
            except UpstreamFailure as failure:
                raise Refusal(failure.code, {"retry-after": failure.retry_after} if failure.code == "upstream_rate_limited" and failure.retry_after else {})


class Claim:
    """The events one request hands on (the first of each id, not delivered recently); `settled` is set once the attempt is over."""

    def __init__(self, events):
        self.events = events
        self.settled = threading.Event()


class DeliveredIds:
    """Event ids delivered within the last `window` seconds, bounded in count (R-DELIVER-7, R-DELIVER-8).

    Every id lives for the same window, so insertion order is expiry order: an OrderedDict drops expired ids
    from its front as calls come, and past `max_ids` the oldest are forgotten first (a possible duplicate,
    never a lost event). An id is remembered only once its delivery worked. A retry that arrives while the
    first attempt is still under way (a beacon on page hide during the SDK's fetch) waits for that attempt's
    outcome instead of racing it.
    """

    def __init__(self, window, max_ids=100_000):
        self.window, self.max_ids = window, max_ids
        self.expiries = OrderedDict()
        self.in_flight = {}
        self.lock = threading.Lock()

    def _sweep(self, now):
        while self.expiries:
            oldest, expires = next(iter(self.expiries.items()))
            if expires > now and len(self.expiries) <= self.max_ids:
                return
            del self.expiries[oldest]

    def claim(self, events):
        """A Claim on the events still to hand on: the first of each id, in batch order, neither delivered recently
        nor being delivered by another request. Claims are taken only when nothing is waited for, so two
        requests can never wait for each other."""
        while True:
            with self.lock:
                now = time.monotonic()
                self._sweep(now)
                waits = {self.in_flight[event["event_id"]] for event in events if event["event_id"] in self.in_flight}
                if not waits:
                    firsts = {}
                    for event in events:
                        if event["event_id"] not in self.expiries:
                            firsts.setdefault(event["event_id"], event)
                    claim = Claim(list(firsts.values()))
                    for event_id in firsts:
                        self.in_flight[event_id] = claim
                    return claim
            for other in waits:
                other.settled.wait()

    def settle(self, claim, delivered):
        with self.lock:
            now = time.monotonic()
            for event in claim.events:
                event_id = event["event_id"]
                if self.in_flight.get(event_id) is claim:
                    del self.in_flight[event_id]
                if delivered:
                    # Re-inserted at the back, so the dict stays in expiry order.
                    self.expiries.pop(event_id, None)
                    self.expiries[event_id] = now + self.window
            self._sweep(now)
        claim.settled.set()


def write_atomically(directory, events):
    """Writes a batch as one JSON file that appears whole or not at all: temp file, fsync, rename."""
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{uuid.uuid4().hex}.json"
    temporary = directory / f".{name}.tmp"
    data = json.dumps({"events": events}).encode()
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(temporary, directory / name)
    return directory / name, len(data)


class Spool:
    """Durable delivery: store first, answer, then forward from disk with growing delays until the upstream takes it."""

    def __init__(self, relay, options):
        self.relay = relay
        self.dir = Path(options.get("spoolDir", ".debugbundle/local/browser-relay-spool"))
        self.max_bytes = options.get("maxSpoolBytes", 104857600)
        self.base = options.get("retryBaseMs", 1000) / 1000
        self.cap = options.get("retryMaxMs", 300000) / 1000
        self.lock = threading.Lock()
        self.wake = threading.Event()
        self.attempts, self.not_before = {}, {}
        threading.Thread(target=self.run, daemon=True).start()

    def pending(self):
        try:
            return sorted(path for path in self.dir.glob("*.json"))
        except OSError:
            return []

    def stored_bytes(self):
        total = 0
        for path in self.pending():
            try:
                total += path.stat().st_size
            except FileNotFoundError:
                pass  # delivered and removed by the worker in the meantime
        return total

    def store(self, events):
        size = len(json.dumps({"events": events}).encode())
        with self.lock:
            if self.stored_bytes() + size > self.max_bytes:
                raise Refusal("spool_full")
            try:
                write_atomically(self.dir, events)
            except OSError:
                raise Refusal("spool_unavailable")
        self.wake.set()

    def run(self):
        while True:
            self.wake.clear()
            now = time.monotonic()
            pending = self.pending()
            for gone in set(self.not_before) - set(pending):
                self.not_before.pop(gone, None)
                self.attempts.pop(gone, None)
            due = [path for path in pending if self.not_before.get(path, 0) <= now]
            for path in due:
                self.attempt(path)
            waits = [when - time.monotonic() for when in self.not_before.values()]
            self.wake.wait(timeout=max(0.01, min(waits, default=1.0)))

    def set_aside(self, path):
        """Quarantine: kept for an operator, never sent again."""
        quarantine = self.dir / "quarantine"
        quarantine.mkdir(exist_ok=True)
        os.rename(path, quarantine / path.name)
        self.attempts.pop(path, None)
        self.not_before.pop(path, None)

    def attempt(self, path):
        try:
            events = json.loads(path.read_text())["events"]
            self.relay.forward(events)
        except UpstreamFailure as failure:
            if not failure.retryable:
                self.set_aside(path)
                return
            attempts = self.attempts.get(path, 0) + 1
            self.attempts[path] = attempts
            delay = min(self.cap, self.base * 2 ** (attempts - 1)) * random.uniform(0.5, 1.0)
            if failure.retry_after and failure.retry_after.strip().isdigit():
                delay = max(delay, int(failure.retry_after))
            self.not_before[path] = time.monotonic() + delay
            return
        except (ValueError, KeyError):
            self.set_aside(path)
            return
        except OSError:
            self.not_before[path] = time.monotonic() + self.base
            return
        path.unlink(missing_ok=True)
        self.attempts.pop(path, None)
        self.not_before.pop(path, None)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    relay: Relay

    def log_message(self, *args):
        """Quiet: a relay log must never risk carrying request data."""

    def answer(self, status, headers, body=None):
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if body is not None:
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("cache-control", "no-store")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def refuse(self, code, headers, message=None):
        status, default = ERRORS[code]
        self.answer(status, headers, {"error": code, "message": message or default})

    def read_body(self):
        """The body as bytes, refused with 413 the moment it passes the cap (declared or streamed)."""
        broken = "The request's framing (Content-Length or chunked encoding) cannot be read."
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise Refusal("body_incomplete", message=broken if line else None)
                if size == 0:
                    self.rfile.readline(1024)
                    break
                total += size
                if total > self.relay.max_body:
                    raise Refusal("payload_too_large")
                chunk = self.rfile.read(size)
                if len(chunk) < size:
                    raise Refusal("body_incomplete")
                chunks.append(chunk)
                self.rfile.readline(1024)
            self.body_read = True
            return b"".join(chunks)
        declared = (self.headers.get("content-length") or "0").strip()
        if not re.fullmatch(r"[0-9]+", declared):
            raise Refusal("body_incomplete", message=broken)
        length = int(declared)
        if length > self.relay.max_body:
            raise Refusal("payload_too_large")
        data = self.rfile.read(length)
        self.body_read = True
        if len(data) < length:
            raise Refusal("body_incomplete")
        return data

    def handle_relay(self):
        self.body_read = False
        # A field sent more than once is one comma-separated list (RFC 9110): two Origin headers are a list, which
        # is no origin (R-ORIGIN-8), and repeated X-Forwarded-For headers are one chain of hops.
        headers = {}
        for name, value in self.headers.items():
            headers[name.lower()] = f"{headers[name.lower()]}, {value}" if name.lower() in headers else value
        response_headers = {"vary": "Origin"}
        try:
            self.process(headers, response_headers)
        except Refusal as refusal:
            response_headers.update(refusal.headers)
            self.refuse(refusal.code, response_headers, refusal.message)
        except Exception:  # noqa: BLE001 - whatever went wrong, the browser gets a JSON refusal, never a traceback
            self.close_connection = True
            self.refuse("internal_error", response_headers)
        if not self.body_read and (headers.get("content-length") not in (None, "0") or "transfer-encoding" in headers):
            self.close_connection = True
            self.drain()

    def drain(self):
        """Let the client finish sending what was not read, so closing the socket cannot reset the answer away."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(2)
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline and self.connection.recv(65536):
                pass
        except OSError:
            pass

    def process(self, headers, response_headers):
        relay = self.relay
        if self.path.split("?")[0].rstrip("/") != relay.path:
            raise Refusal("not_found")
        if self.command not in ("POST", "OPTIONS"):
            response_headers["allow"] = "POST, OPTIONS"
            raise Refusal("method_not_allowed")
        peer = canonical_address(self.client_address[0])
        relay.check_origin(headers, peer is not None and relay.trusts(peer, 0))
        origin = parse_origin_header(headers["origin"]) if headers.get("origin") else None
        if origin is not None:
            # R-CORS-7: a beacon is always sent with credentials; without this grant the browser drops it after
            # the preflight. The origin is echoed exactly, never `*`, and serialised (R-CORS-1, R-CORS-3): lowercase,
            # no default port, never the raw header. None for an origin taken from Referer. Cookies still go
            # nowhere (R-CRED-1).
            response_headers["access-control-allow-origin"] = serialise_origin(origin)
            response_headers["access-control-allow-credentials"] = "true"
        if self.command == "OPTIONS":
            response_headers.update({"access-control-allow-methods": "POST, OPTIONS", "access-control-allow-headers": "content-type",
                                     "access-control-max-age": "600"})
            return self.answer(204, response_headers)
        response_headers["access-control-expose-headers"] = "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After"
        client = relay.client(self.client_address[0], headers)
        if ":" in client:
            client = str(ipaddress.ip_network(f"{client}/64", strict=False))
        # Keyed by protocol and route, so a store shared with another route never counts this one's requests (section 6).
        allowed, remaining, reset = relay.limiter.hit(f"browser:{relay.path}:{client}")
        reset_seconds = str(max(1, -int(-reset // 1)))
        response_headers.update({"ratelimit-limit": str(relay.limiter.limit), "ratelimit-remaining": str(remaining), "ratelimit-reset": reset_seconds})
        if not allowed:
            raise Refusal("rate_limited", {"retry-after": reset_seconds})
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json" or headers.get("content-encoding", "identity").strip().lower() != "identity":
            raise Refusal("unsupported_media_type")
        raw = self.read_body()
        try:
            text = raw.decode("utf-8")
            if nests_deeper_than(text, MAX_JSON_DEPTH):
                raise Refusal("invalid_json", message=f"The body nests deeper than {MAX_JSON_DEPTH} levels.")
            body = json.loads(text, parse_constant=reject_constant, parse_float=finite_float)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise Refusal("invalid_json")
        if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
            raise Refusal("invalid_body")
        if not body["batch"]:
            raise Refusal("batch_empty")
        if len(body["batch"]) > relay.max_batch:
            # R-BODY-5: refused whole, before any item is checked, so nothing of it goes upstream.
            raise Refusal("batch_too_large", message=f"{ERRORS['batch_too_large'][1]} The limit is {relay.max_batch} events.")
        accepted, errors = [], []
        for index, item in enumerate(body["batch"]):
            problem = check_event(item, relay.prepare)
            if problem:
                errors.append({"index": index, "reason": problem[0], "message": problem[1]})
            else:
                accepted.append(item)
        if accepted:
            relay.accept(accepted)
        # Events already delivered count as accepted, so accepted + rejected is the batch length, as SDK 3.x checks.
        # `errors` lists the first MAX_LISTED_REJECTIONS only; `rejected` counts them all (R-EVENT-7).
        self.answer(relay.rejected_status if errors else 202, response_headers,
                    {"accepted": len(accepted), "rejected": len(errors), "errors": errors[:MAX_LISTED_REJECTIONS]})


for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
    setattr(Handler, f"do_{method}", Handler.handle_relay)


def serve(relay_class=Relay):
    Handler.relay = relay_class(json.loads(os.environ["POSTERN_PROFILE"]))
    server = ThreadingHTTPServer((os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8080"))), Handler)
    server.daemon_threads = True
    print(f"relay on http://{server.server_address[0]}:{server.server_address[1]}{Handler.relay.path}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve()
