import type { TrustProxy } from './client-ip.js';
import type { RateLimitStore } from './rate-limit/store.js';

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

export interface RelayOptions {
  /** The server-side project token sent upstream. Required: it never comes from the browser. */
  projectToken: string;
  /** Ingestion endpoint. Default `https://api.debugbundle.com/v1/events`. */
  endpoint?: string;
  /** The route the relay answers on, for adapters that route themselves. Default `/debugbundle/browser`. */
  path?: string;
  /** Origins allowed to send events; replaces the same-origin default. */
  allowedOrigins?: readonly string[];
  /** Which proxies may set `X-Forwarded-For` / `X-Forwarded-Host`. Default: none. */
  trustProxy?: TrustProxy;
  /** Requests per client IP per minute. Default 60. */
  rateLimitPerMinute?: number;
  /** A window other than a minute; wins over `rateLimitPerMinute`. */
  rateLimit?: RateLimitOptions;
  /** Where counts live. Default: process memory. */
  rateLimitStore?: RateLimitStore;
  /** Largest body accepted, in bytes, counted as they arrive. Default 262144. */
  maxBodyBytes?: number;
  /** How long to wait for the upstream. Default 10000 ms. */
  upstreamTimeoutMs?: number;
  /** Forces `service.name` on every event. */
  service?: string;
  /** Forces `service.environment` on every event. */
  environment?: string;
  /** The `sdk_name` every relayed event carries. Default `postern-browser-relay`. */
  sdkName?: string;
  /** Runs on each accepted event before delivery. */
  onEvent?: EventHook;
  logger?: RelayLogger;
  /** The HTTP client for upstream calls. Default: the runtime's `fetch`. */
  fetch?: typeof globalThis.fetch;
}

export const DEFAULTS = {
  endpoint: 'https://api.debugbundle.com/v1/events',
  path: '/debugbundle/browser',
  rateLimitPerMinute: 60,
  maxBodyBytes: 262_144,
  upstreamTimeoutMs: 10_000,
  sdkName: 'postern-browser-relay',
} as const;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new TypeError(`${name} must be a whole number above 0, got ${String(value)}.`);
  return value;
}

/** Checks the options a person wrote, once, with errors that name the option and the fix. */
export function resolveLimits(options: RelayOptions): { rateLimit: RateLimitOptions; maxBodyBytes: number; upstreamTimeoutMs: number } {
  const rateLimit = options.rateLimit ?? { limit: options.rateLimitPerMinute ?? DEFAULTS.rateLimitPerMinute, windowMs: 60_000 };
  return {
    rateLimit: {
      limit: positiveInteger(options.rateLimit ? 'rateLimit.limit' : 'rateLimitPerMinute', rateLimit.limit),
      windowMs: positiveInteger('rateLimit.windowMs', rateLimit.windowMs),
    },
    maxBodyBytes: positiveInteger('maxBodyBytes', options.maxBodyBytes ?? DEFAULTS.maxBodyBytes),
    upstreamTimeoutMs: positiveInteger('upstreamTimeoutMs', options.upstreamTimeoutMs ?? DEFAULTS.upstreamTimeoutMs),
  };
}

export function resolveEndpoint(endpoint: string | undefined): string {
  const value = endpoint ?? DEFAULTS.endpoint;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`endpoint: "${value}" is not an absolute URL such as "${DEFAULTS.endpoint}".`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`endpoint: "${value}" must be an http(s) URL.`);
  return url.href;
}
