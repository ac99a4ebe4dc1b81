import {
  canonicalAddress,
  compileTrustProxy,
  rateLimitKey,
  clientAddressFromPeer,
  type TrustProxy,
} from './client-ip.js';
import {
  canonicalOriginText,
  compileAllowedOrigins,
  isSameOrigin,
  requestOrigin,
} from './origin.js';
import { createMemoryStore } from './rate-limit/memory-store.js';
import type { RateLimitDecision, RateLimitStore } from './rate-limit/store.js';
import type { RateLimitOptions } from './options.js';
import type { RelayRequest, RelayResponse } from './request.js';
import { errorResponse } from './respond.js';

/** The checks every protocol runs first, in the contract's order: method, origin, preflight, rate limit. */
export interface GateOptions {
  allowedOrigins?: readonly string[] | undefined;
  trustProxy?: TrustProxy | undefined;
  rateLimit: RateLimitOptions;
  rateLimitStore?: RateLimitStore | undefined;
  /**
   * The engine and route these counts belong to, such as `relay:/debugbundle/browser`: the store key is
   * `<scope>:<client>`, so engines and routes that share one store (one Redis) each keep their own limit.
   */
  rateLimitScope: string;
  /** `Access-Control-Expose-Headers` on every answer past the preflight. */
  exposedHeaders: string;
  /** `Access-Control-Allow-Headers` of a preflight answer. */
  allowedRequestHeaders: string;
  /** `Access-Control-Allow-Credentials: true` to allowed origins, so credentialed requests (beacons) are let through. */
  allowCredentials?: boolean;
  /** Headers a protocol adds to its 429, e.g. Sentry's `X-Sentry-Rate-Limits`. */
  rateLimitedHeaders?: (resetSeconds: number) => Record<string, string>;
}

/** A request the gate let through: the headers answered so far, and who sent it. */
export interface Admitted {
  headers: Record<string, string>;
  /** The client address after the trusted-proxy rules (`unknown` when the socket gave none). */
  client: string;
  /** The origin the request was checked against. */
  origin: string;
}

export type GateResult =
  | { admitted: true; value: Admitted }
  | { admitted: false; response: RelayResponse };

/**
 * Compiles the shared front of the pipeline once. A request either gets its answer here (405, 403, the
 * preflight's 204, 429) or comes out admitted with its CORS and RateLimit headers already set.
 */
export function compileGate(
  options: GateOptions,
): (request: RelayRequest) => GateResult | Promise<GateResult> {
  const allowedOrigins =
    options.allowedOrigins && options.allowedOrigins.length > 0
      ? compileAllowedOrigins(options.allowedOrigins)
      : undefined;
  const trusts = compileTrustProxy(options.trustProxy);
  const store = options.rateLimitStore ?? createMemoryStore();
  const { limit, windowMs } = options.rateLimit;
  const keyPrefix = `${options.rateLimitScope}:`;
  const preflightHeaders: Record<string, string> = {
    'access-control-allow-methods': 'POST, OPTIONS',
    'access-control-allow-headers': options.allowedRequestHeaders,
    'access-control-max-age': '600',
  };

  function checkOrigin(
    request: RelayRequest,
    trustedPeer: boolean,
  ): { ok: true; origin: string } | { ok: false; code: 'origin_missing' | 'origin_not_allowed' } {
    const header = request.header('origin');
    // Against a list, an Origin header needs no URL parser: its serialisation decides (canonicalOriginText).
    if (allowedOrigins && header !== undefined && header !== '') {
      const text = canonicalOriginText(header);
      return text !== null && allowedOrigins.has(text)
        ? { ok: true, origin: text }
        : { ok: false, code: 'origin_not_allowed' };
    }
    const { origin, present } = requestOrigin(request);
    if (!present) return { ok: false, code: 'origin_missing' };
    if (origin === null) return { ok: false, code: 'origin_not_allowed' };
    if (allowedOrigins)
      return allowedOrigins.has(origin.serialized)
        ? { ok: true, origin: origin.serialized }
        : { ok: false, code: 'origin_not_allowed' };
    const forwardedHost = trustedPeer
      ? request.header('x-forwarded-host')?.split(',')[0]?.trim()
      : undefined;
    const host = forwardedHost || request.header('host');
    return isSameOrigin(origin, host)
      ? { ok: true, origin: origin.serialized }
      : { ok: false, code: 'origin_not_allowed' };
  }

  /** The rate limit's decision applied: the RateLimit headers, then 429 or admitted. */
  function decide(
    decision: RateLimitDecision,
    headers: Record<string, string>,
    client: string,
    origin: string,
  ): GateResult {
    const resetSeconds = Math.max(1, Math.ceil(decision.resetMs / 1000));
    headers['ratelimit-limit'] = String(limit);
    headers['ratelimit-remaining'] = String(decision.remaining);
    headers['ratelimit-reset'] = String(resetSeconds);
    if (!decision.allowed) {
      headers['retry-after'] = String(resetSeconds);
      if (options.rateLimitedHeaders)
        Object.assign(headers, options.rateLimitedHeaders(resetSeconds));
      return { admitted: false, response: errorResponse('rate_limited', headers) };
    }
    return { admitted: true, value: { headers, client, origin } };
  }

  // Synchronous whenever the store answers at once (the memory store): a refusal then costs no promise.
  return (request) => {
    const headers: Record<string, string> = { vary: 'Origin' };
    const method = request.method === 'POST' ? 'POST' : request.method.toUpperCase();
    if (method !== 'POST' && method !== 'OPTIONS') {
      headers.allow = 'POST, OPTIONS';
      return { admitted: false, response: errorResponse('method_not_allowed', headers) };
    }

    const peer = canonicalAddress(request.clientAddress);
    const origin = checkOrigin(request, peer !== undefined && trusts(peer, 0));
    if (!origin.ok) return { admitted: false, response: errorResponse(origin.code, headers) };
    // The origin as serialised after the check, never the raw header; none for an origin taken from Referer.
    if (request.header('origin')) {
      headers['access-control-allow-origin'] = origin.origin;
      if (options.allowCredentials) headers['access-control-allow-credentials'] = 'true';
    }
    if (method === 'OPTIONS') {
      Object.assign(headers, preflightHeaders);
      return { admitted: false, response: { status: 204, headers, body: null } };
    }
    headers['access-control-expose-headers'] = options.exposedHeaders;

    const client = clientAddressFromPeer(peer, request.header('x-forwarded-for'), trusts);
    const decision = store.hit(keyPrefix + rateLimitKey(client), limit, windowMs);
    // Any thenable a custom store returns, not only a native promise.
    return typeof (decision as PromiseLike<RateLimitDecision>).then === 'function'
      ? Promise.resolve(decision).then((answer) => decide(answer, headers, client, origin.origin))
      : decide(decision as RateLimitDecision, headers, client, origin.origin);
  };
}
