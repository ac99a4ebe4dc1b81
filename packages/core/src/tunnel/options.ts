import type { SharedOptions } from '../options.js';
import type { ScrubOptions } from '../scrub/options.js';
import type { TunnelItemOptions } from './item-rules.js';

/** One allowed inbound DSN, and where its envelopes go: itself (the default) or other projects (mirror fan-out). */
export interface TunnelRoute {
  /** The DSN the browser SDK is configured with, e.g. `https://public@o1.ingest.sentry.io/42`. */
  dsn: string;
  /**
   * Outbound DSNs. The first is the primary: its answer (status, `Retry-After`, `X-Sentry-Rate-Limits`) is
   * the browser's answer. The others receive concurrent copies; their failures are logged and counted,
   * never answered. Default: `[dsn]`, the envelope forwarded unchanged to the project it names.
   */
  forwardTo?: readonly string[];
}

/** What happened to one secondary (mirror) copy, for metrics. */
export interface MirrorResult {
  dsn: string;
  ok: boolean;
  status?: number;
  code?: string;
}

/** `dropItems`, `allowItems`, `eventFilters` and `serverContext` (item-rules.ts) apply to every envelope after the DSN check, before any copy is made. */
export interface TunnelOptions extends SharedOptions, TunnelItemOptions {
  /** The DSNs envelopes may name, as strings or routes with mirror targets. Required and non-empty. */
  dsns: readonly (string | TunnelRoute)[];
  /**
   * The fixed route the tunnel answers on, for adapters that route themselves (`Sentry.init({ tunnel:
   * '/postern/tunnel' })`). Default `/postern/tunnel`. `false` switches it off, so only the managed paths
   * are served (needs `managedPaths: true`).
   */
  path?: string | false;
  /**
   * Also answer the managed path of every inbound DSN: the same-origin path `Sentry.init({ dsn, tunnel: true })`
   * posts to (Sentry SDK 11.10 and later), `basePath + "/" + base36(FNV-1a-32(dsn))`, e.g. `/16ym0ib`. List
   * each DSN as the browser SDK is given it: the path is derived from the DSN as written (an explicit port
   * changes it). A managed path forwards only envelopes for its own DSN (403 `dsn_not_allowed` otherwise).
   * Computed once, at construction. Default `false`.
   */
  managedPaths?: boolean;
  /**
   * The prefix the managed paths sit under, as the browser SDK is given it (`tunnel: { basePath }`) and as
   * the server sees requests: `/monitoring` serves `/monitoring/16ym0ib`. Normalised as the SDK does
   * (`monitoring/`, `./monitoring` and `/monitoring` are the same). Only with `managedPaths: true`; the
   * fixed `path` is used as written.
   */
  basePath?: string;
  /**
   * Envelopes per client IP per minute. Default 300: one tab with replay sends a segment every few seconds
   * besides sessions, errors and spans, and a 429 here tells the SDK to stop every category (replay stops
   * for the rest of the session), so the tunnel's budget is wider than the browser relay's.
   */
  rateLimitPerMinute?: number;
  /** Largest envelope, in bytes, both as sent and after `Content-Encoding` is undone. Default 20971520 (20 MiB). */
  maxEnvelopeBytes?: number;
  /**
   * Most bytes of envelopes all requests in flight may hold at once: bodies as they are read, envelopes as
   * they are decoded, until each request is answered and its mirror copies are sent. A request that would
   * pass it is refused with 503 `capacity_exceeded` (and `Retry-After`) before it keeps another chunk.
   * Default 67108864 (64 MiB), or `maxEnvelopeBytes` when that is larger: a few hundred ordinary envelopes
   * (tens of KB each) or three of the largest at once, so a server's memory for envelopes stays near this
   * figure however many arrive together. Must be at least `maxEnvelopeBytes`.
   */
  maxDecodedBytesInFlight?: number;
  /**
   * Most of that the requests of one client (counted as the rate limit counts clients: one address, or
   * one IPv6 /64) may hold at once. Default: a quarter of `maxDecodedBytesInFlight`, but at least
   * `maxEnvelopeBytes` so a client's largest allowed envelope always fits (20 MiB with the defaults).
   * Must be at least `maxEnvelopeBytes` and at most `maxDecodedBytesInFlight`.
   */
  maxDecodedBytesPerClient?: number;
  /**
   * A compressed body whose decoded size passes this many times its size on the wire (and 1 MiB) is refused
   * with 413 `payload_too_large`; with a `Content-Length` as soon as the output passes it, without one once
   * the body has ended. Default 100: real envelopes compress 5 to 20 times, gzip bombs about 1000. `0` turns
   * the check off.
   */
  maxCompressionRatio?: number;
  /** How long to wait for the upstream. Default 30000 ms. */
  upstreamTimeoutMs?: number;
  /** PII rules applied to JSON items (event, transaction, log) before forwarding. Default: none. */
  scrub?: ScrubOptions;
  /** Called once per secondary copy. */
  onMirrorResult?: (result: MirrorResult) => void;
}

export const TUNNEL_DEFAULTS = {
  path: '/postern/tunnel',
  maxEnvelopeBytes: 20_971_520,
  maxDecodedBytesInFlight: 67_108_864,
  maxCompressionRatio: 100,
  upstreamTimeoutMs: 30_000,
  rateLimitPerMinute: 300,
} as const;
