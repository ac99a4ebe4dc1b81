import type { RateLimitDecision, RateLimitStore } from './store.js';

export interface MemoryStoreOptions {
  /** Clients tracked at once; past it, idle clients are forgotten first, then the oldest. Default 100 000. */
  maxKeys?: number;
  /** The clock, for tests of the store itself. */
  now?: () => number;
}

/**
 * A sliding-log limiter in process memory: a client is allowed when fewer than `limit` of its requests
 * fall in the last `windowMs`. Exact (no fixed-window bursts at the edges) and bounded: at most `limit`
 * timestamps per client and `maxKeys` clients.
 *
 * @example
 * createRelay({ projectToken, rateLimitStore: createMemoryStore({ maxKeys: 10_000 }) });
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): RateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const now = options.now ?? Date.now;
  const logs = new Map<string, number[]>();

  function evict(at: number, windowMs: number): void {
    for (const [key, log] of logs) {
      const newest = log[log.length - 1];
      if (newest === undefined || newest <= at - windowMs) logs.delete(key);
    }
    for (const key of logs.keys()) {
      if (logs.size < maxKeys) break;
      logs.delete(key);
    }
  }

  return {
    hit(key: string, limit: number, windowMs: number): RateLimitDecision {
      const at = now();
      let log = logs.get(key);
      if (log === undefined) {
        if (logs.size >= maxKeys) evict(at, windowMs);
        log = [];
        logs.set(key, log);
      }
      let expired = 0;
      while (expired < log.length && (log[expired] as number) <= at - windowMs) expired++;
      if (expired > 0) log.splice(0, expired);
      if (log.length >= limit) {
        return { allowed: false, remaining: 0, resetMs: Math.max(0, (log[0] as number) + windowMs - at) };
      }
      log.push(at);
      return { allowed: true, remaining: limit - log.length, resetMs: (log[0] as number) + windowMs - at };
    },
  };
}
