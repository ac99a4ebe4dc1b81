import {
  UpstreamFailure,
  type UpstreamReply,
  type UpstreamTransport,
} from '../delivery/transport.js';
import type { RelayRequest } from '../request.js';

/** What the upstream said, reduced to what the browser's SDK needs to hear. */
export type UpstreamAnswer =
  | { ok: true; status: number; headers: Record<string, string>; body: string | null }
  | {
      ok: false;
      code: 'upstream_timeout' | 'upstream_unreachable' | 'upstream_error';
      detail: string;
    };

/** Headers of the upstream's answer the SDK acts on; nothing else of it is passed on. */
const PASSED_HEADERS = ['retry-after', 'x-sentry-rate-limits', 'content-type'] as const;
/** Sentry answers `{"id":"…"}`; anything longer is not for the browser and is dropped unread. */
const MAX_ANSWER_BYTES = 65_536;

export interface ForwardOptions {
  transport: UpstreamTransport;
  timeoutMs: number;
  userAgent: string;
}

const decoder = new TextDecoder();

/**
 * The client hints Relay reads into an envelope's request meta (`RawUserAgentInfo::set_ua_field_from_header`
 * in relay-event-normalization) and `@sentry/core`'s tunnel forwards: no others (Relay reads no
 * `Sec-CH-UA-Mobile`, and nothing else of the client's request is Sentry's business).
 */
export const FORWARDED_CLIENT_HINTS = [
  'sec-ch-ua',
  'sec-ch-ua-model',
  'sec-ch-ua-platform',
  'sec-ch-ua-platform-version',
] as const;

/**
 * A `User-Agent` longer than this is not forwarded (the relay's own goes instead): no browser's comes near
 * it (real ones are 100 to 400 bytes, in-app browsers included), and one cut short would be another user
 * agent to Sentry's parsers and inbound filters.
 */
export const MAX_USER_AGENT_BYTES = 1024;
/** Each client hint is one short quoted string, or for `Sec-CH-UA` a few brands (about 70 bytes); longer is not a browser's. */
export const MAX_CLIENT_HINT_BYTES = 256;

/** Visible ASCII, spaces and tabs: what a browser sends; nothing a header parser upstream could read another way. */
const USER_AGENT = /^[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?$/;
/** The patterns run on client headers, for the test that proves they match in linear time. */
export const HEADER_PATTERNS: readonly RegExp[] = [USER_AGENT];

/**
 * The end of the RFC 8941 sf-string starting at `at` (`"`, printable ASCII with `"` and `\` escaped, `"`),
 * or -1. A scanner rather than a pattern: one pass, so its cost is the length of the value and no more.
 */
function sfStringEnd(value: string, at: number): number {
  if (value.charCodeAt(at) !== 0x22) return -1;
  for (let i = at + 1; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x22) return i + 1;
    if (code === 0x5c) {
      const next = value.charCodeAt(++i);
      if (next !== 0x22 && next !== 0x5c) return -1;
    } else if (code < 0x20 || code > 0x7e) return -1;
  }
  return -1;
}

/** Whether `value` is exactly one sf-string (`Sec-CH-UA-Platform`, `-Platform-Version`, `-Model`). */
function isSfString(value: string): boolean {
  return sfStringEnd(value, 0) === value.length;
}

const isKeyStart = (code: number): boolean => (code >= 0x61 && code <= 0x7a) || code === 0x2a;
const isKeyChar = (code: number): boolean =>
  isKeyStart(code) ||
  (code >= 0x30 && code <= 0x39) ||
  code === 0x5f ||
  code === 0x2d ||
  code === 0x2e;
const isOws = (code: number): boolean => code === 0x20 || code === 0x09;

/**
 * Whether `value` is a `Sec-CH-UA` brand list: sf-strings, each with sf-string parameters
 * (`"Chromium";v="124", "Not-A.Brand";v="99"`), separated by commas, as UA Client Hints defines it.
 */
function isBrandList(value: string): boolean {
  let i = 0;
  for (;;) {
    i = sfStringEnd(value, i);
    if (i === -1) return false;
    while (value.charCodeAt(i) === 0x3b) {
      i++;
      while (value.charCodeAt(i) === 0x20) i++;
      if (!isKeyStart(value.charCodeAt(i))) return false;
      while (isKeyChar(value.charCodeAt(i))) i++;
      if (value.charCodeAt(i) !== 0x3d) return false;
      i = sfStringEnd(value, i + 1);
      if (i === -1) return false;
    }
    while (isOws(value.charCodeAt(i))) i++;
    if (i === value.length) return true;
    if (value.charCodeAt(i) !== 0x2c) return false;
    i++;
    while (isOws(value.charCodeAt(i))) i++;
  }
}

/** `Sec-CH-UA` is a list of brands; the other three are one sf-string each. */
const CLIENT_HINT_SHAPE: Record<
  (typeof FORWARDED_CLIENT_HINTS)[number],
  (value: string) => boolean
> = {
  'sec-ch-ua': isBrandList,
  'sec-ch-ua-model': isSfString,
  'sec-ch-ua-platform': isSfString,
  'sec-ch-ua-platform-version': isSfString,
};

/** What of the client goes upstream with every copy of its envelope, built once per request by `upstreamClient`. */
export interface UpstreamClient {
  /** The client address of section 5 (the socket peer, or whom the trusted proxies name), or `unknown`. */
  address: string;
  /** The request headers built for the upstream: the client's address and origin, and its user agent and client hints when well-formed. */
  headers: Readonly<Record<string, string>>;
}

/**
 * The client's address as one IP address Relay parses (`IpAddr`): an IPv6 zone (`fe80::1%eth0`) means
 * nothing off this host and would make the whole value unreadable to it.
 */
function addressForUpstream(address: string): string | undefined {
  if (address === 'unknown' || address === '') return undefined;
  const zone = address.indexOf('%');
  return zone === -1 ? address : address.slice(0, zone);
}

/**
 * The client address for Sentry, in the header Relay reads for it (`ForwardedFor` in
 * relay-server/src/extractors/forwarded_for.rs takes the first non-empty of `CF-Connecting-IP`,
 * `X-Vercel-Forwarded-For`, `X-Sentry-Forwarded-For`, `X-Forwarded-For`; `client_addr` its leftmost entry),
 * and the same single address in `X-Forwarded-For`, for an edge in front of Relay that builds
 * `X-Sentry-Forwarded-For` from the `X-Forwarded-For` it receives (Sentry's SaaS does, relay#2572) and for
 * Relays older than `X-Sentry-Forwarded-For`. Either way the leftmost entry is this address.
 */
function addressHeaders(address: string): Record<string, string> {
  const forwarded = addressForUpstream(address);
  return forwarded === undefined
    ? {}
    : { 'x-sentry-forwarded-for': forwarded, 'x-forwarded-for': forwarded };
}

/**
 * HTTP's optional whitespace only: `String#trim` would also strip U+00A0, which is how a raw 0xA0 byte
 * arrives, and so let a value that held one pass the ASCII checks below. A loop, not a regex: `[ \t]+$`
 * backtracks quadratically over a long run of inner spaces.
 */
function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value[start] === ' ' || value[start] === '\t')) start++;
  while (end > start && (value[end - 1] === ' ' || value[end - 1] === '\t')) end--;
  return value.slice(start, end);
}

/** The client's `User-Agent` when a browser could have sent it, else undefined (and the relay's own is sent). */
export function forwardableUserAgent(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = trimOws(value);
  return trimmed.length <= MAX_USER_AGENT_BYTES && USER_AGENT.test(trimmed) ? trimmed : undefined;
}

/** A client hint when it has its structured-field shape and at most MAX_CLIENT_HINT_BYTES, else undefined. */
export function forwardableClientHint(
  name: (typeof FORWARDED_CLIENT_HINTS)[number],
  value: string | undefined,
): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = trimOws(value);
  return trimmed.length <= MAX_CLIENT_HINT_BYTES && CLIENT_HINT_SHAPE[name](trimmed)
    ? trimmed
    : undefined;
}

/**
 * What goes upstream of a request the gate admitted. Sentry reads these: the client address (user IP,
 * `{{auto}}`), `Origin` (the project's "Allowed Domains" filter, which without it lets everything through),
 * `User-Agent` and the client hints (inbound filters, and the browser and OS of sessions, spans and logs,
 * which carry no user agent of their own). So they go as Sentry's own tunnel sends them, except:
 * - the address is the one the trusted-proxy rules resolved, never a client's `X-Forwarded-For`,
 *   `CF-Connecting-IP` or any other claim;
 * - `Origin` is the origin the gate checked, serialised (from `Origin`, or from `Referer` when a browser
 *   sent no `Origin`: the same origin Relay would read from either), never the raw header;
 * - `Referer` never goes: it holds the page's full URL, query tokens included, and Relay reads it only for
 *   the origin, which `Origin` already gives;
 * - `User-Agent` and the hints go only when well-formed and short (a longer or malformed one is dropped, not cut).
 * Nothing else of the request goes: no `Cookie`, `Authorization`, `X-Sentry-Auth`, `Forwarded` or `X-Forwarded-*`.
 */
export function upstreamClient(
  request: Pick<RelayRequest, 'header'>,
  checked: { client: string; origin: string },
): UpstreamClient {
  const headers: Record<string, string> = addressHeaders(checked.client);
  if (checked.origin !== '') headers.origin = checked.origin;
  const userAgent = forwardableUserAgent(request.header('user-agent'));
  if (userAgent !== undefined) headers['user-agent'] = userAgent;
  for (const name of FORWARDED_CLIENT_HINTS) {
    const hint = forwardableClientHint(name, request.header(name));
    if (hint !== undefined) headers[name] = hint;
  }
  return { address: checked.client, headers };
}

/**
 * POSTs one envelope to one target. Only the headers built here go upstream: the envelope content type,
 * then what `upstreamClient` built (the client's address, checked origin, user agent and client hints), the
 * relay's user agent when the client's is not forwarded; never a header of the client as it came. A bare
 * address string stands for a client of which only the address is known.
 */
export async function forwardEnvelope(
  url: string,
  body: Uint8Array,
  client: UpstreamClient | string,
  options: ForwardOptions,
): Promise<UpstreamAnswer> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-sentry-envelope',
    'user-agent': options.userAgent,
    ...(typeof client === 'string' ? addressHeaders(client) : client.headers),
  };
  let reply: UpstreamReply;
  try {
    reply = await options.transport.post(url, headers, body, options.timeoutMs);
  } catch (error) {
    if (error instanceof UpstreamFailure && error.kind === 'timeout')
      return { ok: false, code: 'upstream_timeout', detail: error.message };
    return {
      ok: false,
      code: 'upstream_unreachable',
      detail: 'The connection to the upstream failed.',
    };
  }
  if (reply.status >= 300 && reply.status < 400) {
    // A redirect is never followed (the upstream comes only from configuration) nor passed to the browser.
    await reply.readSmall(0).catch(() => null);
    return { ok: false, code: 'upstream_error', detail: `The upstream answered ${reply.status}.` };
  }
  const passed: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const value = reply.header(name);
    if (value !== undefined) passed[name] = value;
  }
  let text: string | null;
  try {
    const bytes = await reply.readSmall(MAX_ANSWER_BYTES);
    text = bytes === null || bytes.length === 0 ? null : decoder.decode(bytes);
  } catch {
    // The status and rate limits arrived; a body cut off mid-way changes nothing the SDK acts on.
    text = null;
  }
  if (text === null) delete passed['content-type'];
  return { ok: true, status: reply.status, headers: passed, body: text };
}
