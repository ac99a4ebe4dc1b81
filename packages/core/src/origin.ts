import type { RelayRequest } from './request.js';

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

export interface NormalisedOrigin {
  /** `scheme://host[:port]` with the default port removed and everything lowercase. */
  serialized: string;
  scheme: string;
  hostname: string;
  /** The effective port, default ports spelled out, so comparisons never depend on how a port was written. */
  port: string;
}

/** Parses an origin or any absolute http(s) URL to its origin; null for `null`, opaque or non-http origins. */
export function normaliseOrigin(value: string): NormalisedOrigin | null {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  const defaultPort = DEFAULT_PORTS[url.protocol];
  if (defaultPort === undefined || url.hostname === '') return null;
  return {
    serialized: url.origin,
    scheme: url.protocol,
    hostname: url.hostname,
    port: url.port === '' ? defaultPort : url.port,
  };
}

/**
 * An `Origin` header is an origin and nothing else (RFC 6454 serialisation): `scheme://host[:port]`, with a
 * host name, an IPv4 address or a bracketed IPv6 address, and a port in digits. No path (not even `/`), no
 * userinfo, query or fragment, no backslash, no list: a value a browser never sends is not an origin.
 * Scheme and host case and a default port are forgiven here and normalised (R-ORIGIN-4).
 */
const ORIGIN_HEADER =
  /^https?:\/\/(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?|\[[0-9A-Fa-f:.]+\])(?::(?:0|[1-9]\d{0,4}))?$/i;

/**
 * Parses an `Origin` header: null unless the value is exactly an http(s) origin (see ORIGIN_HEADER), and
 * one that reads back the same once normalised (so `https://0x7f.1`, which a URL parser turns into
 * 127.0.0.1, is not one). A Referer is a URL and goes through `normaliseOrigin` instead.
 */
export function parseOriginHeader(value: string): NormalisedOrigin | null {
  const text = canonicalOriginText(value);
  if (text === null) return null;
  const origin = normaliseOrigin(text);
  return origin !== null && origin.serialized === text ? origin : null;
}

/**
 * An `Origin` header as the serialisation it can only be, without a URL parser: lowercase, the default port
 * dropped; null when it is not shaped like an origin (ORIGIN_HEADER). When the header is an origin at all,
 * this is its serialisation, so checking it against `allowedOrigins` needs no parsing: the URL parser only
 * decides whether a text such as `https://0x7f.1` is an origin, and no allowed origin is spelled that way.
 */
export function canonicalOriginText(value: string): string | null {
  const trimmed = value.trim();
  if (!ORIGIN_HEADER.test(trimmed)) return null;
  const lower = trimmed.toLowerCase();
  const scheme = lower.startsWith('https:') ? 'https:' : 'http:';
  const colon = lower.lastIndexOf(':');
  const hasPort = colon > scheme.length && !lower.endsWith(']');
  return hasPort && lower.slice(colon + 1) === DEFAULT_PORTS[scheme]
    ? lower.slice(0, colon)
    : lower;
}

/**
 * The origin a request claims: the Origin header, which must be an origin (`parseOriginHeader`), or when
 * Origin is absent the origin of the Referer, a URL whose path, query and fragment are dropped.
 */
export function requestOrigin(request: RelayRequest): {
  origin: NormalisedOrigin | null;
  present: boolean;
} {
  const origin = request.header('origin');
  if (origin !== undefined && origin !== '')
    return { origin: parseOriginHeader(origin), present: true };
  const referer = request.header('referer');
  if (referer !== undefined && referer !== '')
    return { origin: normaliseOrigin(referer), present: true };
  return { origin: null, present: false };
}

/**
 * Whether an origin is the same as the host the request was sent to. A Host header without a port means
 * the default port of the scheme the browser used, which for a same-origin request is the origin's scheme.
 */
export function isSameOrigin(origin: NormalisedOrigin, host: string | undefined): boolean {
  if (host === undefined || !HOST_HEADER.test(host)) return false;
  let url: URL;
  try {
    url = new URL(`${origin.scheme}//${host}`);
  } catch {
    // Shaped like a host but not one (port above 65535, an IPv4 octet above 255, a broken IPv6 literal).
    return false;
  }
  const port = url.port === '' ? (DEFAULT_PORTS[origin.scheme] ?? '') : url.port;
  return url.hostname === origin.hostname && port === origin.port;
}

/** A bare `host[:port]` (RFC 9110 Host): anything with userinfo, a path or spaces is not a host. */
const HOST_HEADER =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9.])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Compiles `allowedOrigins` once; an entry that is not an http(s) origin is a configuration error. */
export function compileAllowedOrigins(list: readonly string[]): ReadonlySet<string> {
  const set = new Set<string>();
  for (const entry of list) {
    const origin = normaliseOrigin(entry);
    if (origin === null)
      throw new TypeError(
        `allowedOrigins: "${entry}" is not an http(s) origin such as "https://app.example.com".`,
      );
    set.add(origin.serialized);
  }
  return set;
}
