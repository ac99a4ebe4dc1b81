import { readBodyCapped } from '../body.js';
import { contentEncodingOf, decodeCapped } from '../content-encoding.js';
import { resolveTransport } from '../delivery/transport.js';
import { compileGate } from '../gate.js';
import { positiveInteger } from '../options.js';
import type { Relay } from '../relay.js';
import type { RelayRequest, RelayResponse } from '../request.js';
import { errorResponse, neverThrows } from '../respond.js';
import { compileScrubber } from '../scrub/scrubber.js';
import { scrubEnvelope } from '../scrub/envelope.js';
import { VERSION } from '../version.js';
import { parseDsn } from './dsn.js';
import { readEnvelopeHeader, rewriteForTarget } from './envelope-header.js';
import { forwardEnvelope, type ForwardOptions } from './forward.js';
import { TUNNEL_DEFAULTS, type TunnelOptions } from './options.js';
import { compileRoutes, type Target } from './routes.js';

/** What a cross-origin page may read, so the SDK's own back-off sees Sentry's limits and the relay's. */
const EXPOSED_HEADERS = 'Retry-After, X-Sentry-Rate-Limits, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset';

/** `application/x-sentry-envelope`, `text/plain` (what `@sentry/browser` sends), or no content type at all. */
function isEnvelopeContentType(value: string | undefined): boolean {
  if (value === undefined || value.trim() === '') return true;
  const semicolon = value.indexOf(';');
  const essence = (semicolon === -1 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  return essence === 'application/x-sentry-envelope' || essence === 'text/plain';
}

/**
 * The Sentry envelope tunnel: the route a browser SDK's `tunnel` option points at. It forwards an
 * envelope, byte for byte, only to projects named in `dsns`, and hands Sentry's answer (status,
 * `Retry-After`, `X-Sentry-Rate-Limits`) back so the SDK backs off as it would talking to Sentry.
 *
 * @example
 * const tunnel = createTunnel({ dsns: [process.env.SENTRY_DSN!] });
 * const response = await tunnel.handle(request);
 */
export function createTunnel(options: TunnelOptions): Relay {
  const routes = compileRoutes(options?.dsns);
  const maxBytes = positiveInteger('maxEnvelopeBytes', options.maxEnvelopeBytes ?? TUNNEL_DEFAULTS.maxEnvelopeBytes);
  const rateLimit = options.rateLimit ?? { limit: options.rateLimitPerMinute ?? TUNNEL_DEFAULTS.rateLimitPerMinute, windowMs: 60_000 };
  const admit = compileGate({
    allowedOrigins: options.allowedOrigins,
    trustProxy: options.trustProxy,
    rateLimit: {
      limit: positiveInteger(options.rateLimit ? 'rateLimit.limit' : 'rateLimitPerMinute', rateLimit.limit),
      windowMs: positiveInteger('rateLimit.windowMs', rateLimit.windowMs),
    },
    rateLimitStore: options.rateLimitStore,
    exposedHeaders: EXPOSED_HEADERS,
    allowedRequestHeaders: 'content-type, content-encoding',
    // All categories, organization scope: the SDK drops everything until the window has passed.
    rateLimitedHeaders: (seconds) => ({ 'x-sentry-rate-limits': `${seconds}::organization` }),
  });
  const scrubber = options.scrub ? compileScrubber(options.scrub) : undefined;
  const forward: ForwardOptions = {
    transport: resolveTransport(options),
    timeoutMs: positiveInteger('upstreamTimeoutMs', options.upstreamTimeoutMs ?? TUNNEL_DEFAULTS.upstreamTimeoutMs),
    userAgent: `postern/${VERSION}`,
  };
  const logger = options.logger;
  const copies = new Set<Promise<void>>();

  function sendCopy(target: Target, body: Uint8Array, client: string): void {
    const copy = forwardEnvelope(target.url, body, client, forward).then((answer) => {
      const ok = answer.ok && answer.status >= 200 && answer.status < 300;
      const result = answer.ok ? { dsn: target.written, ok, status: answer.status } : { dsn: target.written, ok, code: answer.code };
      if (!ok) logger?.warn('postern: a mirror copy of an envelope failed', result);
      options.onMirrorResult?.(result);
    });
    copies.add(copy);
    void copy.finally(() => copies.delete(copy));
  }

  async function handle(request: RelayRequest): Promise<RelayResponse> {
    const gate = await admit(request);
    if (!gate.admitted) return gate.response;
    const { headers, client } = gate.value;

    if (!isEnvelopeContentType(request.header('content-type'))) {
      return errorResponse('unsupported_media_type', headers, 'Send it as application/x-sentry-envelope or text/plain.');
    }
    const encoding = contentEncodingOf(request.header('content-encoding'));
    if (encoding === undefined) return errorResponse('unsupported_media_type', headers, 'Content-Encoding may be gzip, deflate or identity.');
    const declaredLength = request.header('content-length');
    if (declaredLength !== undefined && Number(declaredLength) > maxBytes) return errorResponse('payload_too_large', headers, `The limit is ${maxBytes} bytes.`);
    const read = await readBodyCapped(request.body, maxBytes);
    if (!read.ok) return read.aborted ? errorResponse('body_incomplete', headers) : errorResponse('payload_too_large', headers, `The limit is ${maxBytes} bytes.`);
    let envelope = read.bytes;
    if (encoding !== 'identity') {
      const decoded = await decodeCapped(envelope, encoding, maxBytes);
      if (!decoded.ok) return errorResponse(decoded.code, headers, decoded.code === 'payload_too_large' ? `The limit is ${maxBytes} bytes once decoded.` : undefined);
      envelope = decoded.bytes;
    }

    const head = readEnvelopeHeader(envelope);
    if (!head.ok) return errorResponse(head.code, headers, head.detail);
    const dsn = typeof head.dsn === 'string' ? parseDsn(head.dsn) : null;
    if (dsn === null) return errorResponse('dsn_invalid', headers);
    const route = routes.get(dsn.key);
    if (route === undefined) return errorResponse('dsn_not_allowed', headers);

    if (scrubber) {
      const scrubbed = await scrubEnvelope(envelope, scrubber);
      if (!scrubbed.ok) return errorResponse('envelope_invalid', headers, scrubbed.detail);
      envelope = scrubbed.bytes;
    }
    const bodyFor = (target: Target): Uint8Array => (target.rewrite ? rewriteForTarget(envelope, head.header, head.end, target) : envelope);
    for (const secondary of route.secondaries) sendCopy(secondary, bodyFor(secondary), client);
    const answer = await forwardEnvelope(route.primary.url, bodyFor(route.primary), client, forward);
    if (!answer.ok) {
      logger?.warn('postern: envelope delivery failed', { code: answer.code });
      return errorResponse(answer.code, headers, answer.detail);
    }
    Object.assign(headers, answer.headers);
    headers['cache-control'] = 'no-store';
    return { status: answer.status, headers, body: answer.body };
  }

  return {
    path: options.path ?? TUNNEL_DEFAULTS.path,
    handle: neverThrows(handle, logger, 'tunnel'),
    async close() {
      await Promise.allSettled([...copies]);
    },
  };
}
