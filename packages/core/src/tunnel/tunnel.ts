import { rateLimitKey } from '../client-ip.js';
import { contentEncodingOf, readDecodedBody } from '../content-encoding.js';
import { resolveTransport } from '../delivery/transport.js';
import { compileGate } from '../gate.js';
import { positiveInteger } from '../options.js';
import type { Engine } from '../engine.js';
import type { RelayRequest, RelayResponse } from '../request.js';
import { errorResponse, neverThrows } from '../respond.js';
import { VERSION } from '../version.js';
import { createInFlightBudget, type InFlightView, type Lease } from './budget.js';
import { parseDsn } from './dsn.js';
import { readEnvelopeHeader, rewriteForTarget } from './envelope-header.js';
import {
  compileItemRules,
  emptiedEnvelopeAnswer,
  withDropped,
  type DroppedItems,
} from './item-rules.js';
import {
  forwardEnvelope,
  upstreamClient,
  type ForwardOptions,
  type UpstreamClient,
} from './forward.js';
import { TUNNEL_DEFAULTS, type TunnelOptions } from './options.js';
import { compileRoutes, type Target } from './routes.js';
import { compileServedPaths } from './managed-paths.js';

/** What a cross-origin page may read, so the SDK's own back-off sees Sentry's limits and the relay's. */
const EXPOSED_HEADERS =
  'Retry-After, X-Sentry-Rate-Limits, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset';

/** `application/x-sentry-envelope`, `text/plain` (what `@sentry/browser` sends), or no content type at all. */
function isEnvelopeContentType(value: string | undefined): boolean {
  if (value === undefined || value.trim() === '') return true;
  const semicolon = value.indexOf(';');
  const essence = (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  return essence === 'application/x-sentry-envelope' || essence === 'text/plain';
}

/** Decoded output below this is never refused for its compression ratio: small bodies of repeated JSON compress well and cost nothing. */
export const RATIO_FLOOR_BYTES = 1_048_576;

/**
 * Seconds a `capacity_exceeded` answer asks the client to wait. Bytes in flight are given back as soon as
 * requests are answered, usually well within a second; `@sentry/browser` reads `Retry-After` on any status
 * and pauses every category for that long, so it is kept short.
 */
const CAPACITY_RETRY_AFTER_SECONDS = 1;

interface TunnelLimits {
  maxEnvelopeBytes: number;
  maxDecodedBytesInFlight: number;
  maxDecodedBytesPerClient: number;
  maxCompressionRatio: number;
}

/** The size limits, checked together: each must leave room for one envelope of `maxEnvelopeBytes`, or that envelope could never pass. */
function resolveTunnelLimits(options: TunnelOptions): TunnelLimits {
  const maxEnvelopeBytes = positiveInteger(
    'maxEnvelopeBytes',
    options.maxEnvelopeBytes ?? TUNNEL_DEFAULTS.maxEnvelopeBytes,
  );
  const maxDecodedBytesInFlight = positiveInteger(
    'maxDecodedBytesInFlight',
    options.maxDecodedBytesInFlight ??
      Math.max(TUNNEL_DEFAULTS.maxDecodedBytesInFlight, maxEnvelopeBytes),
  );
  if (maxDecodedBytesInFlight < maxEnvelopeBytes) {
    throw new TypeError(
      `maxDecodedBytesInFlight must be at least maxEnvelopeBytes (${maxEnvelopeBytes}), got ${maxDecodedBytesInFlight}: otherwise an envelope the size limit accepts could never be held. Raise it, or lower maxEnvelopeBytes.`,
    );
  }
  const maxDecodedBytesPerClient = positiveInteger(
    'maxDecodedBytesPerClient',
    options.maxDecodedBytesPerClient ??
      Math.max(Math.floor(maxDecodedBytesInFlight / 4), maxEnvelopeBytes),
  );
  if (
    maxDecodedBytesPerClient < maxEnvelopeBytes ||
    maxDecodedBytesPerClient > maxDecodedBytesInFlight
  ) {
    throw new TypeError(
      `maxDecodedBytesPerClient must be between maxEnvelopeBytes (${maxEnvelopeBytes}) and maxDecodedBytesInFlight (${maxDecodedBytesInFlight}), got ${maxDecodedBytesPerClient}.`,
    );
  }
  const maxCompressionRatio = options.maxCompressionRatio ?? TUNNEL_DEFAULTS.maxCompressionRatio;
  if (
    typeof maxCompressionRatio !== 'number' ||
    !Number.isFinite(maxCompressionRatio) ||
    (maxCompressionRatio !== 0 && maxCompressionRatio < 1)
  ) {
    throw new TypeError(
      `maxCompressionRatio must be 0 (no limit) or a number from 1 up, got ${String(maxCompressionRatio)}.`,
    );
  }
  return {
    maxEnvelopeBytes,
    maxDecodedBytesInFlight,
    maxDecodedBytesPerClient,
    maxCompressionRatio,
  };
}

/** The tunnel's engine: an `Engine`, and the bytes its requests hold in memory now. */
export interface Tunnel extends Engine {
  /** Bytes of envelopes held by requests in flight, in all and per client (keyed as the rate limit keys them), and how many requests hold a lease. */
  readonly inFlight: InFlightView;
}

/**
 * The Sentry envelope tunnel: the route a browser SDK's `tunnel` option points at. It forwards an
 * envelope, byte for byte, only to projects named in `dsns`, and hands Sentry's answer (status,
 * `Retry-After`, `X-Sentry-Rate-Limits`) back so the SDK backs off as it would talking to Sentry.
 *
 * @example
 * import { createTunnel, type RelayRequest, type RelayResponse } from '@postern/core';
 *
 * const tunnel = createTunnel({ dsns: [process.env.SENTRY_DSN!] });
 * // An adapter hands over each request on the tunnel's paths, and writes the answer back.
 * export function answer(request: RelayRequest): Promise<RelayResponse> {
 *   return tunnel.handle(request);
 * }
 */
export function createTunnel(options: TunnelOptions): Tunnel {
  const routes = compileRoutes(options?.dsns);
  const served = compileServedPaths(options);
  // Vercel's Edge runtime has no DecompressionStream: there an encoded body is refused like an unknown
  // encoding (415), never a 500. (Sentry's browser SDKs send envelopes without a Content-Encoding.)
  const canDecode = typeof DecompressionStream === 'function';
  const limits = resolveTunnelLimits(options);
  const maxBytes = limits.maxEnvelopeBytes;
  const budget = createInFlightBudget({
    maxBytes: limits.maxDecodedBytesInFlight,
    maxBytesPerClient: limits.maxDecodedBytesPerClient,
  });
  const rateLimit = options.rateLimit ?? {
    limit: options.rateLimitPerMinute ?? TUNNEL_DEFAULTS.rateLimitPerMinute,
    windowMs: 60_000,
  };
  const admit = compileGate({
    allowedOrigins: options.allowedOrigins,
    trustProxy: options.trustProxy,
    rateLimit: {
      limit: positiveInteger(
        options.rateLimit ? 'rateLimit.limit' : 'rateLimitPerMinute',
        rateLimit.limit,
      ),
      windowMs: positiveInteger('rateLimit.windowMs', rateLimit.windowMs),
    },
    rateLimitStore: options.rateLimitStore,
    rateLimitScope: `tunnel:${served.path}`,
    exposedHeaders: EXPOSED_HEADERS,
    allowedRequestHeaders: 'content-type, content-encoding',
    // All categories, organization scope: the SDK drops everything until the window has passed.
    rateLimitedHeaders: (seconds) => ({ 'x-sentry-rate-limits': `${seconds}::organization` }),
  });
  // scrub, dropItems / allowItems, eventFilters, serverContext: one pass over the items (item-rules.ts).
  const rewriteItems = compileItemRules(options);
  const forward: ForwardOptions = {
    transport: resolveTransport(options),
    timeoutMs: positiveInteger(
      'upstreamTimeoutMs',
      options.upstreamTimeoutMs ?? TUNNEL_DEFAULTS.upstreamTimeoutMs,
    ),
    userAgent: `postern/${VERSION}`,
  };
  const logger = options.logger;
  const copies = new Set<Promise<void>>();

  /** One copy to a secondary; the promise settles once the copy has been answered or has failed (and `onMirrorResult` has run). */
  function sendCopy(target: Target, body: Uint8Array, client: UpstreamClient): Promise<void> {
    const copy = forwardEnvelope(target.url, body, client, forward).then((answer) => {
      const ok = answer.ok && answer.status >= 200 && answer.status < 300;
      const result = answer.ok
        ? { dsn: target.written, ok, status: answer.status }
        : { dsn: target.written, ok, code: answer.code };
      if (!ok) logger?.warn('postern: a mirror copy of an envelope failed', result);
      options.onMirrorResult?.(result);
    });
    copies.add(copy);
    void copy.finally(() => copies.delete(copy));
    return copy;
  }

  /** Not logged here: under a flood that would be a line per request; adapters log and count every answer by its code. */
  function capacityExceeded(
    headers: Record<string, string>,
    refusedBy: 'over-budget' | 'over-share' | undefined,
  ): RelayResponse {
    headers['retry-after'] = String(CAPACITY_RETRY_AFTER_SECONDS);
    const detail =
      refusedBy === 'over-share'
        ? `This client's requests in flight may hold ${limits.maxDecodedBytesPerClient} bytes at once.`
        : `All requests in flight may hold ${limits.maxDecodedBytesInFlight} bytes at once.`;
    return errorResponse('capacity_exceeded', headers, detail);
  }

  async function handle(request: RelayRequest): Promise<RelayResponse> {
    const gate = await admit(request);
    if (!gate.admitted) return gate.response;
    const { headers, client } = gate.value;

    if (!isEnvelopeContentType(request.header('content-type'))) {
      return errorResponse(
        'unsupported_media_type',
        headers,
        'Send it as application/x-sentry-envelope or text/plain.',
      );
    }
    const encoding = contentEncodingOf(request.header('content-encoding'));
    if (encoding === undefined)
      return errorResponse(
        'unsupported_media_type',
        headers,
        'Content-Encoding may be gzip, deflate or identity.',
      );
    if (encoding !== 'identity' && !canDecode)
      return errorResponse(
        'unsupported_media_type',
        headers,
        'This runtime cannot decode a Content-Encoding: send the envelope without one.',
      );
    const declared = request.header('content-length');
    const declaredLength =
      declared !== undefined && /^\d+$/.test(declared.trim()) ? Number(declared) : undefined;
    if (declaredLength !== undefined && declaredLength > maxBytes)
      return errorResponse('payload_too_large', headers, `The limit is ${maxBytes} bytes.`);

    // Every byte the request keeps from here on is held in a lease, given back once the request is answered
    // and its forwards (the primary and every mirror copy) have settled: on every path, a throw included.
    const lease = budget.lease(rateLimitKey(client));
    const forwards: Promise<unknown>[] = [];
    try {
      return await relayEnvelope(
        request,
        headers,
        upstreamClient(request, gate.value),
        encoding,
        declaredLength,
        lease,
        forwards,
      );
    } finally {
      if (forwards.length === 0) lease.release();
      else void Promise.allSettled(forwards).then(() => lease.release());
    }
  }

  async function relayEnvelope(
    request: RelayRequest,
    headers: Record<string, string>,
    client: UpstreamClient,
    encoding: 'identity' | 'gzip' | 'deflate',
    declaredLength: number | undefined,
    lease: Lease,
    forwards: Promise<unknown>[],
  ): Promise<RelayResponse> {
    let refusedBy: 'over-budget' | 'over-share' | undefined;
    const read = await readDecodedBody(request.body, encoding, {
      maxBytes,
      maxRatio: limits.maxCompressionRatio,
      ratioFloorBytes: RATIO_FLOOR_BYTES,
      declaredLength,
      hold(total) {
        const growth = lease.grow(total);
        if (growth === 'held') return true;
        refusedBy = growth;
        return false;
      },
    });
    if (!read.ok) {
      if (read.code === 'capacity_exceeded') return capacityExceeded(headers, refusedBy);
      if (read.code !== 'payload_too_large') return errorResponse(read.code, headers);
      if (read.limit === 'ratio') {
        return errorResponse(
          'payload_too_large',
          headers,
          `The body decodes to more than ${limits.maxCompressionRatio} times its size on the wire (and more than ${RATIO_FLOOR_BYTES} bytes).`,
        );
      }
      return errorResponse(
        'payload_too_large',
        headers,
        read.limit === 'decoded'
          ? `The limit is ${maxBytes} bytes once decoded.`
          : `The limit is ${maxBytes} bytes.`,
      );
    }
    let envelope = read.bytes;

    const head = readEnvelopeHeader(envelope);
    if (!head.ok) return errorResponse(head.code, headers, head.detail);
    const dsn = typeof head.dsn === 'string' ? parseDsn(head.dsn) : null;
    if (dsn === null) return errorResponse('dsn_invalid', headers);
    const route = routes.get(dsn.key);
    if (route === undefined) return errorResponse('dsn_not_allowed', headers);
    const otherPath = served.refuses(request.path, dsn.key);
    if (otherPath !== undefined) return errorResponse('dsn_not_allowed', headers, otherPath);

    let dropped: DroppedItems | undefined;
    if (rewriteItems) {
      const rewritten = await rewriteItems(envelope);
      if (!rewritten.ok) return errorResponse(rewritten.code, headers, rewritten.detail);
      if (rewritten.changed) lease.force(rewritten.bytes.length);
      envelope = rewritten.bytes;
      dropped = rewritten.dropped;
      // Every item was removed: nothing goes upstream, and the SDK hears what Sentry answers an envelope with no items.
      if (rewritten.emptied) return emptiedEnvelopeAnswer(head.header, headers, dropped);
    }
    const bodyFor = (target: Target): Uint8Array => {
      if (!target.rewrite) return envelope;
      const copy = rewriteForTarget(envelope, head.header, head.end, target);
      lease.force(copy.length); // a copy for another project is one more envelope in memory until it is sent
      return copy;
    };
    for (const secondary of route.secondaries)
      forwards.push(sendCopy(secondary, bodyFor(secondary), client));
    const primary = forwardEnvelope(route.primary.url, bodyFor(route.primary), client, forward);
    forwards.push(primary);
    const answer = await primary;
    if (!answer.ok) {
      logger?.warn('postern: envelope delivery failed', { code: answer.code });
      return withDropped(errorResponse(answer.code, headers, answer.detail), dropped);
    }
    Object.assign(headers, answer.headers);
    headers['cache-control'] = 'no-store';
    return withDropped({ status: answer.status, headers, body: answer.body }, dropped);
  }

  const answer = neverThrows(handle, logger, 'tunnel');
  return {
    path: served.path,
    paths: served.paths,
    matches: served.matches,
    answer,
    handle: (request) => Promise.resolve(answer(request)),
    async close() {
      await Promise.allSettled([...copies]);
    },
    inFlight: { held: budget.held, heldBy: budget.heldBy, open: budget.open },
  };
}
