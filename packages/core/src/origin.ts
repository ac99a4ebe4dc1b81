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

/** The origin a request claims: the Origin header, or the origin of the Referer when Origin is absent. */
export function requestOrigin(request: RelayRequest): { origin: NormalisedOrigin | null; present: boolean } {
  const origin = request.header('origin');
  if (origin !== undefined && origin !== '') return { origin: normaliseOrigin(origin), present: true };
  const referer = request.header('referer');
  if (referer !== undefined && referer !== '') return { origin: normaliseOrigin(referer), present: true };
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
const HOST_HEADER = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9.])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Compiles `allowedOrigins` once; an entry that is not an http(s) origin is a configuration error. */
export function compileAllowedOrigins(list: readonly string[]): ReadonlySet<string> {
  const set = new Set<string>();
  for (const entry of list) {
    const origin = normaliseOrigin(entry);
    if (origin === null) throw new TypeError(`allowedOrigins: "${entry}" is not an http(s) origin such as "https://app.example.com".`);
    set.add(origin.serialized);
  }
  return set;
}
