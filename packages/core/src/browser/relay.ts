import { readBodyCapped } from '../body.js';
import { parseBatch } from './batch.js';
import { pinTraceId, traceIdOf, type SanitiseConfig } from './sanitise.js';
import { checkEvent, validateEvent, type BrowserEvent } from './validate.js';
import { isJsonContentType } from '../content-type.js';
import { createDedupGuard, type DedupGuard } from '../dedup/guard.js';
import { createMemoryDedupStore } from '../dedup/memory-store.js';
import { chooseDelivery } from '../delivery/choose.js';
import type { Delivery } from '../delivery/delivery.js';
import { createDirectDelivery } from '../delivery/direct.js';
import { resolveTransport } from '../delivery/transport.js';
import type { EventErrorCode } from '../errors.js';
import { compileGate, type Admitted, type GateResult } from '../gate.js';
import { matchesPath } from '../path.js';
import { compileScrubber } from '../scrub/scrubber.js';
import {
  DEFAULTS,
  resolveDeliverySettings,
  resolveEndpoint,
  resolveLimits,
  type EventContext,
  type BrowserRelayOptions,
} from '../options.js';
import type { Engine } from '../engine.js';
import type { RelayRequest, RelayResponse, ResponseSummary } from '../request.js';
import { errorResponse, jsonResponse, neverThrows } from '../respond.js';
import { VERSION } from '../version.js';

/** The DebugBundle browser-batch engine: an `Engine` for JSON batches of browser events. */
export type BrowserRelay = Engine;

/** One rejected item as the answer lists it: the acknowledgement shape DebugBundle's browser SDK 3.x reads. */
interface Rejection {
  index: number;
  reason: EventErrorCode;
  message: string;
}

function summarise(
  accepted: number,
  duplicates: number,
  filtered: number,
  rejections: readonly Rejection[],
): ResponseSummary {
  const summary: ResponseSummary = { accepted };
  if (duplicates > 0) summary.duplicates = duplicates;
  if (filtered > 0) summary.filtered = filtered;
  if (rejections.length > 0) {
    const rejected: Partial<Record<EventErrorCode, number>> = {};
    for (const { reason } of rejections) rejected[reason] = (rejected[reason] ?? 0) + 1;
    summary.rejected = rejected;
  }
  return summary;
}

/** Headers a cross-origin page may read from the relay's answers, so an SDK can back off on its own. */
const EXPOSED_HEADERS = 'RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After';

const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'x-api-key']);

/**
 * Rejections an answer lists (rejected still counts them all), so a batch of junk does not buy an answer
 * many times its size. 256 is the most events DebugBundle's SDK 3.x puts in one batch, so its check that
 * errors.length equals rejected holds for every batch it sends.
 */
const MAX_LISTED_REJECTIONS = 256;

/**
 * Compiles the options once and returns the relay every adapter drives.
 *
 * @example
 * import { createBrowserRelay, type RelayRequest, type RelayResponse } from '@postern/core';
 *
 * const relay = createBrowserRelay({
 *   projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN!,
 *   allowedOrigins: ['https://app.example.com'],
 * });
 * // An adapter hands over each request on the relay's path, and writes the answer back.
 * export function answer(request: RelayRequest): Promise<RelayResponse> {
 *   return relay.handle(request);
 * }
 */
export function createBrowserRelay(options: BrowserRelayOptions): BrowserRelay {
  const settings = resolveDeliverySettings(options);
  const connected = settings.mode !== 'local-only';
  if (
    connected &&
    (typeof options.projectToken !== 'string' || options.projectToken.trim() === '')
  ) {
    throw new TypeError(
      'projectToken is required: pass the server-side project token, for example process.env.DEBUGBUNDLE_PROJECT_TOKEN.',
    );
  }
  const limits = resolveLimits(options);
  const admit = compileGate({
    allowedOrigins: options.allowedOrigins,
    trustProxy: options.trustProxy,
    rateLimit: limits.rateLimit,
    rateLimitStore: options.rateLimitStore,
    rateLimitScope: `relay:${options.path ?? DEFAULTS.path}`,
    exposedHeaders: EXPOSED_HEADERS,
    allowedRequestHeaders: 'content-type',
    allowCredentials: true,
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
  const sanitise: SanitiseConfig = {
    sdkName: options.sdkName ?? DEFAULTS.sdkName,
    service: options.service,
    environment: options.environment,
  };
  const logger = options.logger;
  if (
    options.acknowledgeRejections !== undefined &&
    typeof options.acknowledgeRejections !== 'boolean'
  ) {
    throw new TypeError(
      `acknowledgeRejections must be true or false, got ${JSON.stringify(options.acknowledgeRejections)}.`,
    );
  }
  const rejectedStatus = options.acknowledgeRejections ? 202 : 400;
  const dedup: DedupGuard | undefined =
    limits.dedupWindowMs > 0
      ? createDedupGuard(
          options.dedupStore ?? createMemoryDedupStore(),
          limits.dedupWindowMs,
          logger,
        )
      : undefined;
  // Correlation ids are opaque by contract (R-CORR-1): a rule such as @password's "session" must not touch them.
  const scrubber = options.scrub
    ? compileScrubber({
        ...options.scrub,
        safeFields: [...(options.scrub.safeFields ?? []), 'correlation'],
      })
    : undefined;
  const rewrites = options.onEvent !== undefined || scrubber !== undefined;

  /** What the app's hook and the scrubber make of a checked event: the event to deliver, null when the hook dropped it, or a rejection. */
  async function rewrite(
    event: BrowserEvent,
    context: EventContext,
  ): Promise<BrowserEvent | null | Rejection['message']> {
    const traceId = traceIdOf(event);
    let out: Record<string, unknown> | null = event;
    if (options.onEvent) {
      out = await options.onEvent(event, context);
      if (out === null) return null;
    }
    // Scrubbing runs last, over whatever the hook added; the trace id is the browser's either way.
    if (scrubber) await scrubber.scrub(out);
    pinTraceId(out, traceId);
    // What the hook or the scrubber made must still be what ingestion accepts (R-SANITIZE-5).
    const recheck = validateEvent(out, event.event_type);
    return recheck.ok ? recheck.event : `after onEvent or scrub: ${recheck.message}`;
  }

  /** The checks before the body, answered synchronously when the rate-limit store answers at once. */
  function answer(request: RelayRequest): RelayResponse | Promise<RelayResponse> {
    const gate = admit(request);
    return gate instanceof Promise
      ? gate.then((admitted) => afterGate(request, admitted))
      : afterGate(request, gate);
  }

  function afterGate(
    request: RelayRequest,
    gate: GateResult,
  ): RelayResponse | Promise<RelayResponse> {
    if (!gate.admitted) return gate.response;
    const { headers } = gate.value;
    if (!isJsonContentType(request.header('content-type')))
      return errorResponse('unsupported_media_type', headers, 'Send it as application/json.');
    const encoding = request.header('content-encoding');
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      return errorResponse(
        'unsupported_media_type',
        headers,
        'Send the body without Content-Encoding.',
      );
    }
    const declaredLength = request.header('content-length');
    if (declaredLength !== undefined && Number(declaredLength) > limits.maxBodyBytes) {
      return errorResponse(
        'payload_too_large',
        headers,
        `The limit is ${limits.maxBodyBytes} bytes.`,
      );
    }
    return relayBody(request, gate.value);
  }

  async function relayBody(request: RelayRequest, admitted: Admitted): Promise<RelayResponse> {
    const { headers, client, origin } = admitted;
    const read = await readBodyCapped(request.body, limits.maxBodyBytes);
    if (!read.ok)
      return read.aborted
        ? errorResponse('body_incomplete', headers)
        : errorResponse('payload_too_large', headers, `The limit is ${limits.maxBodyBytes} bytes.`);
    const batch = parseBatch(read.bytes);
    if (!batch.ok) return errorResponse(batch.code, headers, batch.detail);
    if (batch.items.length > limits.maxBatchEvents)
      return errorResponse(
        'batch_too_large',
        headers,
        `The limit is ${limits.maxBatchEvents} events.`,
      );
    // What the app's hook sees; built only when there is a hook or a scrubber to see it.
    const context: EventContext | undefined = rewrites
      ? {
          clientAddress: client,
          origin,
          header: (name) => {
            const lower = name.toLowerCase();
            return CREDENTIAL_HEADERS.has(lower) ? undefined : request.header(lower);
          },
        }
      : undefined;
    const accepted: BrowserEvent[] = [];
    const rejections: Rejection[] = [];
    let filtered = 0;
    for (let index = 0; index < batch.items.length; index++) {
      const check = checkEvent(batch.items[index], sanitise);
      if (!check.ok) {
        rejections.push({ index, reason: check.code, message: check.message });
        continue;
      }
      if (!rewrites) {
        accepted.push(check.event);
        continue;
      }
      let event: Awaited<ReturnType<typeof rewrite>>;
      try {
        event = await rewrite(check.event, context as EventContext);
      } catch (error) {
        logger?.error(
          'postern: onEvent hook threw; the request is refused and nothing is forwarded',
          { error: String(error) },
        );
        return errorResponse('internal_error', headers);
      }
      if (event === null) filtered++;
      else if (typeof event === 'string') {
        logger?.error(
          'postern: an event no longer matched its schema after onEvent or scrub; it is rejected',
          { index, reason: event },
        );
        rejections.push({ index, reason: 'event_invalid', message: event });
      } else accepted.push(event);
    }
    let split = dedup && accepted.length > 0 ? dedup.split(accepted) : undefined;
    if (split instanceof Promise) split = await split;
    const deliver = split ? split.forward : accepted;
    if (deliver.length > 0) {
      const outcome = await delivery.deliver(deliver);
      const settled = split?.settle(outcome.ok);
      if (settled) await settled;
      if (!outcome.ok) {
        logger?.warn('postern: delivery failed', { code: outcome.code, events: deliver.length });
        // Only a rate-limited upstream's delay is passed on (R-DELIVER-4); a 503's is for the redelivery worker.
        if (outcome.code === 'upstream_rate_limited' && outcome.retryAfter !== undefined)
          headers['retry-after'] = outcome.retryAfter;
        return errorResponse(outcome.code, headers, outcome.detail);
      }
    } else {
      const settled = split?.settle(true);
      if (settled) await settled;
    }
    // Filtered and already-delivered events count as accepted: accepted + rejected is the batch length, as SDK 3.x checks.
    const count = accepted.length + filtered;
    const body: Record<string, unknown> = {
      accepted: count,
      rejected: rejections.length,
      errors: rejections.slice(0, MAX_LISTED_REJECTIONS),
    };
    if (filtered > 0) body.filtered = filtered;
    const response = jsonResponse(rejections.length > 0 ? rejectedStatus : 202, body, headers);
    response.summary = summarise(count, accepted.length - deliver.length, filtered, rejections);
    return response;
  }

  const safeAnswer = neverThrows(answer, logger, 'relay');
  const path = options.path ?? DEFAULTS.path;
  return {
    path,
    paths: [path],
    matches: (target) => matchesPath(target, path),
    answer: safeAnswer,
    handle: (request) => Promise.resolve(safeAnswer(request)),
    async close() {
      await delivery.close?.();
    },
  };
}

/**
 * The name `createBrowserRelay` had before 0.2.
 * @deprecated Use `createBrowserRelay`; this alias goes in the next minor release.
 */
export const createRelay: typeof createBrowserRelay = createBrowserRelay;
