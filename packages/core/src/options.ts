import type { TrustProxy } from './client-ip.js';
import type { DedupStore } from './dedup/store.js';
import type { Delivery } from './delivery/delivery.js';
import type { UpstreamTransport } from './delivery/transport.js';
import type { RateLimitStore } from './rate-limit/store.js';
import type { ScrubOptions } from './scrub/options.js';

/** What an app hook learns about the request: never a credential header, never the body bytes. */
export interface EventContext {
  /** The client address after the trusted-proxy rules. */
  clientAddress: string;
  /** The origin the request was checked against (from Origin, or Referer). */
  origin: string;
  /** A request header by lowercase name; `authorization`, `cookie` and `x-api-key` always read as undefined. */
  header(name: string): string | undefined;
}

/** Enriches an accepted event, or returns null to drop it on purpose (counted as `filtered` in the answer). */
export type EventHook = (
  event: Record<string, unknown>,
  context: EventContext,
) => Record<string, unknown> | null | Promise<Record<string, unknown> | null>;

export interface RelayLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface RateLimitOptions {
  /** Requests allowed per client in any window. */
  limit: number;
  /** Window length in milliseconds. */
  windowMs: number;
}

/** `connected` forwards to the upstream with the server token; `local-only` writes accepted events to `localEventsDir` and sends nothing. */
export type ProjectMode = 'connected' | 'local-only';

/** What the spool and its redelivery worker report, for metrics and logs; never an event or a credential. */
export type SpoolEvent =
  | { type: 'stored'; bytes: number }
  | {
      type: 'attempt';
      ok: boolean;
      code?: string;
      status?: number;
      durationMs: number;
      redelivery: boolean;
    }
  | { type: 'delivered'; id: string }
  | { type: 'quarantined'; id: string; status?: number; reason: string }
  | { type: 'evicted'; id: string; bytes: number; reason: 'delivered' | 'quarantined' }
  | { type: 'pruned'; id: string; state: 'delivered' | 'undelivered' | 'quarantined' }
  | { type: 'refused'; code: 'spool_full' | 'spool_unavailable' };

/** What both protocols take alike: who may send, how often, and how the upstream is reached. */
export interface SharedOptions {
  /** Origins allowed to send; replaces the same-origin default. */
  allowedOrigins?: readonly string[];
  /** Which proxies may set `X-Forwarded-For` / `X-Forwarded-Host`. Default: none. */
  trustProxy?: TrustProxy;
  /** A window other than a minute; wins over `rateLimitPerMinute`. */
  rateLimit?: RateLimitOptions;
  /** Where counts live. Default: process memory. */
  rateLimitStore?: RateLimitStore;
  logger?: RelayLogger;
  /** The HTTP client for upstream calls, as a `fetch` function. Default: the runtime's `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** The HTTP client as a transport; wins over `fetch`. The Node adapters pass `undiciTransport()`. */
  transport?: UpstreamTransport;
}

export interface BrowserRelayOptions extends SharedOptions {
  /** The server-side project token sent upstream. Required in `connected` mode: it never comes from the browser. */
  projectToken?: string;
  /** Default `connected`. */
  projectMode?: ProjectMode;
  /**
   * Connected mode: store each accepted batch in `spoolDir` (temp file, fsync, rename) before answering 202,
   * then forward it from a redelivery worker. Default `false` for a relay mounted in an app (see README:
   * "Delivery modes"); `postern serve` turns it on. Needs a Node runtime with a writable directory.
   */
  durableWrite?: boolean;
  /** Default `.debugbundle/local/browser-relay-spool/`, relative to the working directory. */
  spoolDir?: string;
  /** Local-only mode: where accepted batches are written as JSON files. Default `.debugbundle/local/events/`. */
  localEventsDir?: string;
  /** Most bytes the spool may hold; delivered entries are evicted oldest-first, then new batches are refused with 503 `spool_full`. Default 104857600 (100 MiB). */
  maxSpoolBytes?: number;
  /** First redelivery delay; doubles per consecutive failure, with jitter. Default 1000 ms. */
  retryBaseMs?: number;
  /** Longest redelivery delay (an upstream `Retry-After` may ask for more, up to an hour). Default 300000 ms. */
  retryMaxMs?: number;
  /** Spool entries forwarded at once. Default 4. */
  redeliveryConcurrency?: number;
  /** Receives spool and redelivery events, e.g. for metrics. */
  onSpoolEvent?: (event: SpoolEvent) => void;
  /**
   * A ready-made delivery (e.g. `createSpoolDelivery` from `@postern/core/spool`) instead of one built
   * from the options above: the standalone server passes its own so it can report and drain it.
   */
  delivery?: Delivery;
  /** Ingestion endpoint. Default `https://api.debugbundle.com/v1/events`. */
  endpoint?: string;
  /** The route the relay answers on, for adapters that route themselves. Default `/debugbundle/browser`. */
  path?: string;
  /** Requests per client IP per minute. Default 60. */
  rateLimitPerMinute?: number;
  /** Largest body accepted, in bytes, counted as they arrive. Default 262144. */
  maxBodyBytes?: number;
  /** Most events one batch may hold; more is refused with 413 `batch_too_large`. Default 1000 (DebugBundle's SDK 3.x sends at most 256). */
  maxBatchEvents?: number;
  /** How long to wait for the upstream. Default 10000 ms. */
  upstreamTimeoutMs?: number;
  /** Forces `service.name` on every event. */
  service?: string;
  /** Forces `service.environment` on every event. */
  environment?: string;
  /** The `sdk_name` every relayed event carries. Default `@debugbundle/sdk-browser`, the name DebugBundle's ingestion knows browser events by. */
  sdkName?: string;
  /**
   * Answer a batch with rejected items `202` with per-item reasons, instead of the contract's default `400`
   * (SPEC R-EVENT-8). DebugBundle's browser SDKs send a batch again after any non-2xx answer; with this,
   * SDK 3.x drops the refused events for good and 1.4.0 stops re-sending the batch. Default `false`.
   */
  acknowledgeRejections?: boolean;
  /** How long delivered `event_id`s are remembered, so retries are not forwarded twice (SPEC R-DELIVER-7). `0` turns it off. Default 600000 ms. */
  dedupWindowMs?: number;
  /** Where delivered ids live. Default: process memory, the last 100 000 ids (`createMemoryDedupStore`). */
  dedupStore?: DedupStore;
  /** Runs on each accepted event before delivery; what it returns is checked against the event's schema again. */
  onEvent?: EventHook;
  /** PII rules applied to each accepted event after `onEvent`, before delivery (the tunnel's rules, same options). */
  scrub?: ScrubOptions;
}

/**
 * The name `BrowserRelayOptions` had before 0.2.
 * @deprecated Use `BrowserRelayOptions`; this alias goes in the next minor release.
 */
export type RelayOptions = BrowserRelayOptions;

export const DEFAULTS = {
  endpoint: 'https://api.debugbundle.com/v1/events',
  path: '/debugbundle/browser',
  rateLimitPerMinute: 60,
  maxBodyBytes: 262_144,
  maxBatchEvents: 1000,
  upstreamTimeoutMs: 10_000,
  sdkName: '@debugbundle/sdk-browser',
  dedupWindowMs: 600_000,
  spoolDir: '.debugbundle/local/browser-relay-spool/',
  localEventsDir: '.debugbundle/local/events/',
  maxSpoolBytes: 104_857_600,
  retryBaseMs: 1000,
  retryMaxMs: 300_000,
  redeliveryConcurrency: 4,
} as const;

export function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0)
    throw new TypeError(`${name} must be a whole number above 0, got ${String(value)}.`);
  return value;
}

/** Checks the options a person wrote, once, with errors that name the option and the fix. */
export function resolveLimits(options: BrowserRelayOptions): {
  rateLimit: RateLimitOptions;
  maxBodyBytes: number;
  maxBatchEvents: number;
  upstreamTimeoutMs: number;
  dedupWindowMs: number;
} {
  const rateLimit = options.rateLimit ?? {
    limit: options.rateLimitPerMinute ?? DEFAULTS.rateLimitPerMinute,
    windowMs: 60_000,
  };
  return {
    rateLimit: {
      limit: positiveInteger(
        options.rateLimit ? 'rateLimit.limit' : 'rateLimitPerMinute',
        rateLimit.limit,
      ),
      windowMs: positiveInteger('rateLimit.windowMs', rateLimit.windowMs),
    },
    maxBodyBytes: positiveInteger('maxBodyBytes', options.maxBodyBytes ?? DEFAULTS.maxBodyBytes),
    maxBatchEvents: positiveInteger(
      'maxBatchEvents',
      options.maxBatchEvents ?? DEFAULTS.maxBatchEvents,
    ),
    upstreamTimeoutMs: positiveInteger(
      'upstreamTimeoutMs',
      options.upstreamTimeoutMs ?? DEFAULTS.upstreamTimeoutMs,
    ),
    dedupWindowMs:
      options.dedupWindowMs === 0
        ? 0
        : positiveInteger('dedupWindowMs', options.dedupWindowMs ?? DEFAULTS.dedupWindowMs),
  };
}

export function resolveEndpoint(endpoint: string | undefined): string {
  const value = endpoint ?? DEFAULTS.endpoint;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(
      `endpoint: "${value}" is not an absolute URL such as "${DEFAULTS.endpoint}".`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new TypeError(`endpoint: "${value}" must be an http(s) URL.`);
  return url.href;
}

export interface DeliverySettings {
  mode: 'direct' | 'durable' | 'local-only';
  spoolDir: string;
  localEventsDir: string;
  maxSpoolBytes: number;
  retryBaseMs: number;
  retryMaxMs: number;
  redeliveryConcurrency: number;
}

/** Which delivery the options ask for, checked once with errors that name the option. */
export function resolveDeliverySettings(options: BrowserRelayOptions): DeliverySettings {
  const projectMode = options.projectMode ?? 'connected';
  if (projectMode !== 'connected' && projectMode !== 'local-only') {
    throw new TypeError(
      `projectMode must be "connected" or "local-only", got ${JSON.stringify(projectMode)}.`,
    );
  }
  if (options.durableWrite !== undefined && typeof options.durableWrite !== 'boolean') {
    throw new TypeError(
      `durableWrite must be true or false, got ${JSON.stringify(options.durableWrite)}.`,
    );
  }
  for (const name of ['spoolDir', 'localEventsDir'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === ''))
      throw new TypeError(`${name} must be a directory path, got ${JSON.stringify(value)}.`);
  }
  const retryBaseMs = positiveInteger('retryBaseMs', options.retryBaseMs ?? DEFAULTS.retryBaseMs);
  const retryMaxMs = positiveInteger(
    'retryMaxMs',
    options.retryMaxMs ?? Math.max(DEFAULTS.retryMaxMs, retryBaseMs),
  );
  if (retryMaxMs < retryBaseMs)
    throw new TypeError(
      `retryMaxMs (${retryMaxMs}) must not be below retryBaseMs (${retryBaseMs}).`,
    );
  return {
    mode:
      projectMode === 'local-only'
        ? 'local-only'
        : options.durableWrite === true
          ? 'durable'
          : 'direct',
    spoolDir: options.spoolDir ?? DEFAULTS.spoolDir,
    localEventsDir: options.localEventsDir ?? DEFAULTS.localEventsDir,
    maxSpoolBytes: positiveInteger(
      'maxSpoolBytes',
      options.maxSpoolBytes ?? DEFAULTS.maxSpoolBytes,
    ),
    retryBaseMs,
    retryMaxMs,
    redeliveryConcurrency: positiveInteger(
      'redeliveryConcurrency',
      options.redeliveryConcurrency ?? DEFAULTS.redeliveryConcurrency,
    ),
  };
}
