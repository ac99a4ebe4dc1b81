import { randomUUID } from 'node:crypto';
import type { RateLimitDecision, RateLimitStore } from '@postern/core';
import { defineScript, runScript, type RedisScriptClient } from './script.js';
import { SLIDING_WINDOW_SCRIPT } from './sliding-window.lua.js';

export type { RedisScriptClient } from './script.js';
export { createRedisDedupStore, type RedisDedupStoreOptions } from './dedup-store.js';
export {
  createRedisSpoolDelivery,
  REDIS_SPOOL_DEFAULTS,
  type RedisCommandClient,
  type RedisSpoolConsumer,
  type RedisSpoolDelivery,
  type RedisSpoolOptions,
  type RedisSpoolStats,
} from './stream-spool.js';

export interface RedisStoreOptions {
  client: RedisScriptClient;
  /**
   * Prefix of every key. Default `postern:rate:`. The engine adds its scope before the client, so a key
   * reads `postern:rate:relay:/debugbundle/browser:203.0.113.7` (or `…tunnel:/postern/tunnel:…`): a relay
   * and a tunnel, or two routes, sharing this store keep their own limits.
   */
  prefix?: string;
  /**
   * What a request gets while Redis cannot answer: `allow` (fail open, the default: telemetry keeps
   * flowing, unlimited) or `deny` (fail closed: 429 until Redis is back).
   */
  whenUnavailable?: 'allow' | 'deny';
  /** Called on every failed call, to log or count it. */
  onError?: (error: unknown) => void;
}

export interface RedisStore extends RateLimitStore {
  /** Calls that failed since the store was created. */
  readonly failures: number;
}

const SLIDING_WINDOW = defineScript(SLIDING_WINDOW_SCRIPT);
/** How long a fail-closed answer tells the client to wait. */
const DENIED_RETRY_MS = 1000;

/**
 * A rate-limit store on Redis: an exact sliding window per client, atomic in one Lua script, shared by
 * every relay instance that uses the same Redis. Give it a client that fails fast while Redis is away
 * (ioredis: `enableOfflineQueue: false`, `maxRetriesPerRequest: 0`), so requests are not held up.
 *
 * @example
 * import { Redis } from 'ioredis';
 * import { createRedisStore } from '@postern/redis';
 *
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
 * const rateLimitStore = createRedisStore({ client, onError: (error) => console.warn('rate limit store', error) });
 * // pass { rateLimitStore } to any Postern relay
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const prefix = options.prefix ?? 'postern:rate:';
  const deny = options.whenUnavailable === 'deny';
  let failures = 0;

  function run(key: string, limit: number, windowMs: number): Promise<unknown> {
    return runScript(
      options.client,
      SLIDING_WINDOW,
      [prefix + key],
      [limit, windowMs, randomUUID()],
    );
  }

  return {
    get failures() {
      return failures;
    },
    async hit(key, limit, windowMs): Promise<RateLimitDecision> {
      try {
        const [allowed, remaining, resetMs] = (await run(key, limit, windowMs)) as [
          number,
          number,
          number,
        ];
        return { allowed: allowed === 1, remaining, resetMs };
      } catch (error) {
        failures++;
        options.onError?.(error);
        return deny
          ? { allowed: false, remaining: 0, resetMs: DENIED_RETRY_MS }
          : { allowed: true, remaining: limit, resetMs: windowMs };
      }
    },
  };
}
