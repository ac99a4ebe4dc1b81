import { readBodyCapped } from './body.js';
import { parseBatch } from './browser/batch.js';
import { pinTraceId, sanitiseEvent, traceIdOf, type SanitiseConfig } from './browser/sanitise.js';
import { checkEvent } from './browser/validate.js';
import { isJsonContentType } from './content-type.js';
import { chooseDelivery } from './delivery/choose.js';
import type { Delivery } from './delivery/delivery.js';
import { createDirectDelivery } from './delivery/direct.js';
import { resolveTransport } from './delivery/transport.js';
import type { EventErrorCode } from './errors.js';
import { compileGate } from './gate.js';
import { compileScrubber } from './scrub/scrubber.js';
import { DEFAULTS, resolveDeliverySettings, resolveEndpoint, resolveLimits, type EventContext, type RelayOptions } from './options.js';
import type { RelayRequest, RelayResponse } from './request.js';
import { errorResponse, jsonResponse, neverThrows } from './respond.js';
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

/** Headers a cross-origin page may read from the relay's answers, so an SDK can back off on its own. */
const EXPOSED_HEADERS = 'RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After';

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
  const admit = compileGate({
    allowedOrigins: options.allowedOrigins,
    trustProxy: options.trustProxy,
    rateLimit: limits.rateLimit,
    rateLimitStore: options.rateLimitStore,
    exposedHeaders: EXPOSED_HEADERS,
    allowedRequestHeaders: 'content-type',
  });
  const forward: Delivery | undefined = connected
    ? createDirectDelivery({
        endpoint: resolveEndpoint(options.endpoint),
        projectToken: options.projectToken as string,
        timeoutMs: limits.upstreamTimeoutMs,
        transport: resolveTransport(options),
        userAgent: `postern/${VERSION}`,
      })
    : undefined;
  const delivery = chooseDelivery(options, settings, forward, limits.upstreamTimeoutMs);
  const sanitise: SanitiseConfig = { sdkName: options.sdkName ?? DEFAULTS.sdkName, service: options.service, environment: options.environment };
  const logger = options.logger;
  // Correlation ids are opaque by contract (R-CORR-1): a rule such as @password's "session" must not touch them.
  const scrubber = options.scrub ? compileScrubber({ ...options.scrub, safeFields: [...(options.scrub.safeFields ?? []), 'correlation'] }) : undefined;

  async function handle(request: RelayRequest): Promise<RelayResponse> {
    const gate = await admit(request);
    if (!gate.admitted) return gate.response;
    const { headers, client, origin } = gate.value;

    if (!isJsonContentType(request.header('content-type'))) return errorResponse('unsupported_media_type', headers, 'Send it as application/json.');
    const encoding = request.header('content-encoding');
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      return errorResponse('unsupported_media_type', headers, 'Send the body without Content-Encoding.');
    }
    const declaredLength = request.header('content-length');
    if (declaredLength !== undefined && Number(declaredLength) > limits.maxBodyBytes) {
      return errorResponse('payload_too_large', headers, `The limit is ${limits.maxBodyBytes} bytes.`);
    }
    const read = await readBodyCapped(request.body, limits.maxBodyBytes);
    if (!read.ok) return read.aborted ? errorResponse('body_incomplete', headers) : errorResponse('payload_too_large', headers, `The limit is ${limits.maxBodyBytes} bytes.`);

    const batch = parseBatch(read.bytes);
    if (!batch.ok) return errorResponse(batch.code, headers, batch.detail);

    const context: EventContext = {
      clientAddress: client,
      origin,
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
      const traceId = traceIdOf(event);
      if (options.onEvent) {
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
      }
      // Scrubbing runs last, over whatever the hook added; the trace id is the browser's either way.
      if (scrubber) await scrubber.scrub(event);
      if (options.onEvent || scrubber) pinTraceId(event, traceId);
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
    handle: neverThrows(handle, logger, 'relay'),
    async close() {
      await delivery.close?.();
    },
  };
}
