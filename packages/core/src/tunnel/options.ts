import type { SharedOptions } from '../options.js';
import type { ScrubOptions } from '../scrub/options.js';

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

export interface TunnelOptions extends SharedOptions {
  /** The DSNs envelopes may name, as strings or routes with mirror targets. Required and non-empty. */
  dsns: readonly (string | TunnelRoute)[];
  /** The route the tunnel answers on, for adapters that route themselves. Default `/postern/tunnel`. */
  path?: string;
  /**
   * Envelopes per client IP per minute. Default 300: one tab with replay sends a segment every few seconds
   * besides sessions, errors and spans, and a 429 here tells the SDK to stop every category (replay stops
   * for the rest of the session), so the tunnel's budget is wider than the browser relay's.
   */
  rateLimitPerMinute?: number;
  /** Largest envelope, in bytes, both as sent and after `Content-Encoding` is undone. Default 20971520 (20 MiB). */
  maxEnvelopeBytes?: number;
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
  upstreamTimeoutMs: 30_000,
  rateLimitPerMinute: 300,
} as const;
