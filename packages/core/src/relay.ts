import { readBodyCapped } from './body.js';
import { parseBatch } from './browser/batch.js';
import { pinTraceId, sanitiseEvent, traceIdOf, type SanitiseConfig } from './browser/sanitise.js';
import { checkEvent } from './browser/validate.js';
import { canonicalAddress, compileTrustProxy, rateLimitKey, resolveClientAddress } from './client-ip.js';
import { isJsonContentType } from './content-type.js';
import { EXPOSED_HEADERS, PREFLIGHT_HEADERS } from './cors.js';
import { chooseDelivery } from './delivery/choose.js';
import type { Delivery } from './delivery/delivery.js';
import { createDirectDelivery } from './delivery/direct.js';
import type { EventErrorCode } from './errors.js';
import { compileAllowedOrigins, isSameOrigin, requestOrigin } from './origin.js';
import { DEFAULTS, resolveDeliverySettings, resolveEndpoint, resolveLimits, type EventContext, type RelayOptions } from './options.js';
import { createMemoryStore } from './rate-limit/memory-store.js';
import type { RelayRequest, RelayResponse } from './request.js';
import { errorResponse, jsonResponse } from './respond.js';
import { VERSION } from './version.js';

export interface Relay {
  /** The route this relay answers on, for adapters that route requests themselves. */
  readonly path: string;
  /** Runs one request through the contract and returns the answer; never throws. */
  handle(request: RelayRequest): Promise<RelayResponse>;
  /** Stops the redelivery worker and waits for spool writes and forwards in progress; a no-op for direct delivery. */
  close(): Promise<void>;
}

interface Rejection {
  index: number;
  code: EventErrorCode;
  message: string;
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'x-api-key']);

/**
 * Compiles the options once and returns the relay every adapter drives.
 *
 * @example
 * const relay = createRelay({
 *   projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN!,
 *   allowedOrigins: ['https://app.example.com'],
 * });
 * const response = await relay.handle(request);
 */
export function createRelay(options: RelayOptions): Relay {
  const settings = resolveDeliverySettings(options);
  const connected = settings.mode !== 'local-only';
  if (connected && (typeof options.projectToken !== 'string' || options.projectToken.trim() === '')) {
    throw new TypeError('projectToken is required: pass the server-side project token, for example process.env.DEBUGBUNDLE_PROJECT_TOKEN.');
  }
  const limits = resolveLimits(options);
  const allowedOrigins = options.allowedOrigins && options.allowedOrigins.length > 0 ? compileAllowedOrigins(options.allowedOrigins) : undefined;
  const trusts = compileTrustProxy(options.trustProxy);
  const store = options.rateLimitStore ?? createMemoryStore();
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const forward: Delivery | undefined = connected
    ? createDirectDelivery({
        endpoint: resolveEndpoint(options.endpoint),
        projectToken: options.projectToken as string,
        timeoutMs: limits.upstreamTimeoutMs,
        fetch: fetchImpl,
        userAgent: `postern/${VERSION}`,
      })
    : undefined;
  const delivery = chooseDelivery(options, settings, forward, limits.upstreamTimeoutMs);
  const sanitise: SanitiseConfig = { sdkName: options.sdkName ?? DEFAULTS.sdkName, service: options.service, environment: options.environment };
  const { limit, windowMs } = limits.rateLimit;
  const logger = options.logger;

  function checkOrigin(request: RelayRequest, trustedPeer: boolean): { ok: true; origin: string } | { ok: false; code: 'origin_missing' | 'origin_not_allowed' } {
    const { origin, present } = requestOrigin(request);
    if (!present) return { ok: false, code: 'origin_missing' };
    if (origin === null) return { ok: false, code: 'origin_not_allowed' };
    if (allowedOrigins) return allowedOrigins.has(origin.serialized) ? { ok: true, origin: origin.serialized } : { ok: false, code: 'origin_not_allowed' };
    const forwardedHost = trustedPeer ? request.header('x-forwarded-host')?.split(',')[0]?.trim() : undefined;
    const host = forwardedHost || request.header('host');
    return isSameOrigin(origin, host) ? { ok: true, origin: origin.serialized } : { ok: false, code: 'origin_not_allowed' };
  }

  async function handle(request: RelayRequest): Promise<RelayResponse> {
    const headers: Record<string, string> = { vary: 'Origin' };
    const method = request.method.toUpperCase();
    if (method !== 'POST' && method !== 'OPTIONS') {
      headers.allow = 'POST, OPTIONS';
      return errorResponse('method_not_allowed', headers);
    }

    const socketAddress = request.clientAddress;
    const peer = canonicalAddress(socketAddress);
    const origin = checkOrigin(request, peer !== undefined && trusts(peer, 0));
    if (!origin.ok) return errorResponse(origin.code, headers);
    const originHeader = request.header('origin');
    if (originHeader) headers['access-control-allow-origin'] = originHeader;
    if (method === 'OPTIONS') {
      Object.assign(headers, PREFLIGHT_HEADERS);
      return { status: 204, headers, body: null };
    }
    headers['access-control-expose-headers'] = EXPOSED_HEADERS;

    const client = resolveClientAddress(socketAddress, request.header('x-forwarded-for'), trusts);
    const decision = await store.hit(rateLimitKey(client), limit, windowMs);
    const resetSeconds = Math.max(1, Math.ceil(decision.resetMs / 1000));
    headers['ratelimit-limit'] = String(limit);
    headers['ratelimit-remaining'] = String(decision.remaining);
    headers['ratelimit-reset'] = String(resetSeconds);
    if (!decision.allowed) {
      headers['retry-after'] = String(resetSeconds);
      return errorResponse('rate_limited', headers);
    }

    if (!isJsonContentType(request.header('content-type'))) return errorResponse('unsupported_media_type', headers);
    const encoding = request.header('content-encoding');
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      return errorResponse('unsupported_media_type', headers, 'Send the body without Content-Encoding.');
    }
    const declaredLength = request.header('content-length');
    if (declaredLength !== undefined && Number(declaredLength) > limits.maxBodyBytes) {
      return errorResponse('payload_too_large', headers, `The limit is ${limits.maxBodyBytes} bytes.`);
    }
    const read = await readBodyCapped(request.body, limits.maxBodyBytes);
    if (!read.ok) return errorResponse('payload_too_large', headers, `The limit is ${limits.maxBodyBytes} bytes.`);

    const batch = parseBatch(read.bytes);
    if (!batch.ok) return errorResponse(batch.code, headers, batch.detail);

    const context: EventContext = {
      clientAddress: client,
      origin: origin.origin,
      header: (name) => {
        const lower = name.toLowerCase();
        return CREDENTIAL_HEADERS.has(lower) ? undefined : request.header(lower);
      },
    };
    const accepted: Record<string, unknown>[] = [];
    const rejections: Rejection[] = [];
    let filtered = 0;
    for (let index = 0; index < batch.items.length; index++) {
      const check = checkEvent(batch.items[index]);
      if (!check.ok) {
        rejections.push({ index, code: check.code, message: check.message });
        continue;
      }
      let event: Record<string, unknown> | null = sanitiseEvent(check.event, sanitise);
      if (options.onEvent) {
        const traceId = traceIdOf(event);
        try {
          event = await options.onEvent(event, context);
        } catch (error) {
          logger?.error('postern: onEvent hook threw; the request is refused and nothing is forwarded', { error: String(error) });
          return errorResponse('internal_error', headers);
        }
        if (event === null) {
          filtered++;
          continue;
        }
        pinTraceId(event, traceId);
      }
      accepted.push(event);
    }

    if (accepted.length > 0) {
      const outcome = await delivery.deliver(accepted);
      if (!outcome.ok) {
        logger?.warn('postern: delivery failed', { code: outcome.code, events: accepted.length });
        // Only a rate-limited upstream's delay is passed on (R-DELIVER-3); a 503's is for the redelivery worker.
        if (outcome.code === 'upstream_rate_limited' && outcome.retryAfter !== undefined) headers['retry-after'] = outcome.retryAfter;
        return errorResponse(outcome.code, headers, outcome.detail);
      }
    }
    const body: Record<string, unknown> = {
      accepted: accepted.length,
      rejected: rejections.length,
      errors: rejections.map((rejection) => `batch[${rejection.index}]: ${rejection.message}`),
      rejections,
    };
    if (filtered > 0) body.filtered = filtered;
    return jsonResponse(rejections.length > 0 ? 400 : 202, body, headers);
  }

  return {
    path: options.path ?? DEFAULTS.path,
    async handle(request) {
      try {
        return await handle(request);
      } catch (error) {
        logger?.error('postern: the relay failed on a request', { error: error instanceof Error ? error.message : String(error) });
        return errorResponse('internal_error', { vary: 'Origin' });
      }
    },
    async close() {
      await delivery.close?.();
    },
  };
}
