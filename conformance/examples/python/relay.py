#!/usr/bin/env python3
"""A Relay Contract v1 relay in plain Python (standard library only).

Proof that the conformance suite is language-agnostic, not a product: it reads its configuration the way
the runner hands it over (POSTERN_PROFILE as JSON, PORT) and checks events against the contract's own
JSON Schemas in ../../schemas/events/ with a small validator for the keywords those schemas use.

    POSTERN_PROFILE='{"projectToken":"t","allowedOrigins":["https://app.example"],"endpoint":"http://127.0.0.1:9000/v1/events"}' \
    PORT=8080 python3 relay.py
"""
import ipaddress
import json
import os
import re
import socket
import random
import threading
import time
import uuid
import urllib.error
import urllib.request
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "events"
BROWSER_TYPES = ["frontend_exception", "error_suppressed", "frontend_breadcrumb", "request_event", "probe_event"]
SERVER_ONLY_TYPES = {"backend_exception", "log_event"}
CREDENTIAL_HEADERS = {"authorization", "cookie", "x-api-key"}
CORRELATION_FIELDS = ["request_id", "trace_id", "session_id", "user_id_hash"]
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
    "invalid_json": (400, "The body is not valid UTF-8 JSON."),
    "invalid_body": (400, 'The body must be a JSON object with a "batch" array.'),
    "batch_empty": (400, "The batch holds no events."),
    "upstream_unreachable": (502, "The upstream could not be reached; nothing was accepted."),
    "upstream_timeout": (504, "The upstream did not answer in time; nothing was accepted."),
    "upstream_error": (502, "The upstream failed; nothing was accepted."),
    "upstream_rejected": (502, "The upstream refused the delivery; nothing was accepted."),
    "upstream_rate_limited": (503, "The upstream is rate limiting this relay; retry later."),
    "spool_full": (503, "The relay's spool is full; nothing was accepted. Retry later."),
    "spool_unavailable": (503, "The relay could not store the batch; nothing was accepted."),
}


class Refusal(Exception):
    def __init__(self, code, headers=None):
        super().__init__(code)
        self.code = code
        self.headers = headers or {}


class UpstreamFailure(Exception):
    """A delivery the upstream did not take: the contract code, whether trying again can help, and any Retry-After."""

    def __init__(self, code, retryable, retry_after=None):
        super().__init__(code)
        self.code, self.retryable, self.retry_after = code, retryable, retry_after


# --- the contract's event schemas ------------------------------------------------------------------

def load_schemas():
    common = json.loads((SCHEMA_DIR / "common.schema.json").read_text())
    types = {name: json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text()) for name in BROWSER_TYPES}
    return common, types


COMMON, TYPE_SCHEMAS = load_schemas()


def json_type_ok(expected, value):
    if isinstance(expected, list):
        return any(json_type_ok(one, value) for one in expected)
    checks = {
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    }
    return checks[expected](value)


def schema_error(schema, value, path):
    """The first way `value` breaks `schema` (the keywords the contract's event schemas use), or None."""
    if "$ref" in schema:
        return schema_error(COMMON["$defs"][schema["$ref"].rsplit("/", 1)[1]], value, path)
    where = path or "(event)"
    if "type" in schema and not json_type_ok(schema["type"], value):
        return f"{where} must be {schema['type']}"
    if "const" in schema and value != schema["const"]:
        return f"{where} must be {json.dumps(schema['const'])}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where} must be one of {', '.join(map(json.dumps, schema['enum']))}"
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return f"{where} is too short"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return f"{where} is too long"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return f"{where} does not match the expected format"
    if json_type_ok("number", value):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{where} must be at least {schema['minimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{where} must be at most {schema['maximum']}"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                return f"{where} must have {key}"
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                problem = schema_error(sub, item, f"{path}/{key}")
                if problem:
                    return problem
    return None


def check_event(item):
    """(code, message) for an item the relay must reject, or None."""
    if not isinstance(item, dict):
        return "event_not_object", "event must be a JSON object"
    kind = item.get("type")
    if not isinstance(kind, str):
        return "event_type_missing", 'event has no string "type"'
    if kind in SERVER_ONLY_TYPES:
        return "event_type_server_only", f'event type "{kind}" is accepted only from server SDKs'
    if kind not in TYPE_SCHEMAS:
        return "event_type_unknown", f'event type "{kind[:64]}" is not accepted'
    problem = schema_error(TYPE_SCHEMAS[kind], item, "")
    return ("event_invalid", f"{kind}: {problem}") if problem else None


# --- origin, client address, rate limit -----------------------------------------------------------------

def normalise_origin(value):
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def same_origin(origin, host):
    if not host or not HOST_HEADER.match(host):
        return False
    scheme, hostname, port = origin
    try:
        parts = urlsplit(f"{scheme}://{host}")
        host_port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        return False
    return parts.hostname == hostname and host_port == port


def canonical_address(value):
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


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
        following = canonical_address(hops[len(hops) - 1 - hop])
        if following is None:
            return current
        current = following
    return current


class SlidingWindow:
    """At most `limit` requests per client in any `window` seconds."""

    def __init__(self, limit, window):
        self.limit, self.window = limit, window
        self.logs = {}
        self.lock = threading.Lock()

    def hit(self, key):
        now = time.monotonic()
        with self.lock:
            log = self.logs.setdefault(key, deque())
            while log and log[0] <= now - self.window:
                log.popleft()
            if len(log) >= self.limit:
                return False, 0, log[0] + self.window - now
            log.append(now)
            return True, self.limit - len(log), log[0] + self.window - now


# --- the relay ---------------------------------------------------------------------------------------------

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
        self.timeout = options.get("upstreamTimeoutMs", 10000) / 1000
        self.service = options.get("service")
        self.environment = options.get("environment")
        self.sdk_name = options.get("sdkName", "postern-python-relay")
        self.local_only = options.get("projectMode") == "local-only"
        self.local_dir = Path(options.get("localEventsDir", ".debugbundle/local/events"))
        self.spool = Spool(self, options) if options.get("durableWrite") and not self.local_only else None

    def check_origin(self, headers, peer_trusted):
        raw = headers.get("origin") or headers.get("referer")
        if not raw:
            raise Refusal("origin_missing")
        origin = normalise_origin(raw)
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

    def sanitise(self, event):
        allowed = TYPE_SCHEMAS[event["type"]]["properties"]
        out = {key: value for key, value in event.items() if key in allowed}
        out["sdk_name"] = self.sdk_name
        correlation = event.get("correlation")
        kept = {field: correlation[field] for field in CORRELATION_FIELDS
                if isinstance(correlation, dict) and field in correlation and (correlation[field] is None or isinstance(correlation[field], str))}
        out.pop("correlation", None)
        if kept:
            out["correlation"] = kept
        if self.service is not None or self.environment is not None:
            service = dict(out["service"]) if isinstance(out.get("service"), dict) else {}
            if self.service is not None:
                service["name"] = self.service
            if self.environment is not None:
                service["environment"] = self.environment
            out["service"] = service
        if self.token:
            out["project_token"] = self.token
        return out

    def forward(self, events):
        request = urllib.request.Request(self.endpoint, data=json.dumps({"events": events}).encode(), method="POST", headers={
            "authorization": f"Bearer {self.token}", "content-type": "application/json", "user-agent": "postern-python-relay/1"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout):
                return
        except urllib.error.HTTPError as error:
            retry_after = error.headers["retry-after"]
            if error.code == 429:
                raise UpstreamFailure("upstream_rate_limited", True, retry_after)
            if error.code == 408 or error.code >= 500:
                raise UpstreamFailure("upstream_error", True, retry_after)
            raise UpstreamFailure("upstream_rejected", False)
        except (TimeoutError, socket.timeout):
            raise UpstreamFailure("upstream_timeout", True)
        except urllib.error.URLError as error:
            raise UpstreamFailure("upstream_timeout" if isinstance(error.reason, (TimeoutError, socket.timeout)) else "upstream_unreachable", True)

    def accept(self, events):
        """Hands accepted events on: to local files, to the spool, or straight upstream; refuses if that fails."""
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

    def refuse(self, code, headers):
        status, message = ERRORS[code]
        self.answer(status, headers, {"error": code, "message": message})

    def read_body(self):
        """The body as bytes, refused with 413 the moment it passes the cap (declared or streamed)."""
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                total += size
                if total > self.relay.max_body:
                    raise Refusal("payload_too_large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.body_read = True
            return b"".join(chunks)
        length = int(self.headers.get("content-length") or 0)
        if length > self.relay.max_body:
            raise Refusal("payload_too_large")
        self.body_read = True
        return self.rfile.read(length)

    def handle_relay(self):
        self.body_read = False
        headers = {name.lower(): value for name, value in self.headers.items()}
        response_headers = {"vary": "Origin"}
        try:
            self.process(headers, response_headers)
        except Refusal as refusal:
            response_headers.update(refusal.headers)
            self.refuse(refusal.code, response_headers)
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
        if headers.get("origin"):
            response_headers["access-control-allow-origin"] = headers["origin"]
        if self.command == "OPTIONS":
            response_headers.update({"access-control-allow-methods": "POST, OPTIONS", "access-control-allow-headers": "content-type",
                                     "access-control-max-age": "600"})
            return self.answer(204, response_headers)
        response_headers["access-control-expose-headers"] = "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After"
        client = relay.client(self.client_address[0], headers)
        if ":" in client:
            client = str(ipaddress.ip_network(f"{client}/64", strict=False))
        allowed, remaining, reset = relay.limiter.hit(client)
        reset_seconds = str(max(1, -int(-reset // 1)))
        response_headers.update({"ratelimit-limit": str(relay.limiter.limit), "ratelimit-remaining": str(remaining), "ratelimit-reset": reset_seconds})
        if not allowed:
            raise Refusal("rate_limited", {"retry-after": reset_seconds})
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json" or headers.get("content-encoding", "identity").strip().lower() != "identity":
            raise Refusal("unsupported_media_type")
        raw = self.read_body()
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Refusal("invalid_json")
        if not isinstance(body, dict) or not isinstance(body.get("batch"), list):
            raise Refusal("invalid_body")
        if not body["batch"]:
            raise Refusal("batch_empty")
        accepted, rejections = [], []
        for index, item in enumerate(body["batch"]):
            problem = check_event(item)
            if problem:
                rejections.append({"index": index, "code": problem[0], "message": problem[1]})
            else:
                accepted.append(relay.sanitise(item))
        if accepted:
            relay.accept(accepted)
        self.answer(400 if rejections else 202, response_headers, {
            "accepted": len(accepted), "rejected": len(rejections),
            "errors": [f"batch[{r['index']}]: {r['message']}" for r in rejections], "rejections": rejections})


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
