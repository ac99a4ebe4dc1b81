import type { DedupStore } from '@postern/core';
import { DEDUP_REMEMBER_SCRIPT, DEDUP_SEEN_SCRIPT } from './dedup.lua.js';
import { defineScript, isScriptClient, runScript, type RedisScriptClient } from './script.js';

export interface RedisDedupStoreOptions {
  /** An ioredis `Redis` or `Cluster` (anything with `evalsha` and `eval`). */
  client: RedisScriptClient;
  /**
   * Prefix of every key: one key per delivered `event_id`, `<prefix><event_id>`. Default
   * `postern:dedup:`. Give relays that must not share what they delivered (other projects, other
   * upstreams) different prefixes. On Redis Cluster, put a hash tag in it (`{postern:dedup}:`) so one
   * batch's keys share a slot.
   */
  prefix?: string;
}

const SEEN = defineScript(DEDUP_SEEN_SCRIPT);
const REMEMBER = defineScript(DEDUP_REMEMBER_SCRIPT);
const OPTION_NAMES = new Set(['client', 'prefix']);

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object')
    return Array.isArray(value) ? 'an array' : 'an object without evalsha and eval';
  return `${typeof value} ${String(value)}`;
}

/**
 * Delivered event ids in Redis, shared by every relay instance that uses the same Redis and prefix and kept
 * across relay restarts (SPEC R-DELIVER-7). Each id is its own key with the dedup window as its expiry, so
 * Redis memory is bounded by the ids delivered in one window. `seen` and `remember` are one round trip each
 * (one Lua script per batch).
 *
 * Errors are not caught here: the relay logs a failed call and forwards the batch as if nothing had been
 * seen (a possible duplicate, never a lost event). Give it a client that fails fast while Redis is away
 * (ioredis: `enableOfflineQueue: false`, `maxRetriesPerRequest: 0`), so requests are not held up.
 *
 * @example
 * import { Redis } from 'ioredis';
 * import { createRedisDedupStore } from '@postern/redis';
 *
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
 * const dedupStore = createRedisDedupStore({ client });
 * // pass { dedupStore } to any Postern relay
 */
export function createRedisDedupStore(options: RedisDedupStoreOptions): DedupStore {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      `createRedisDedupStore: options must be an object such as { client, prefix: 'postern:dedup:' }, got ${describeValue(options)}.`,
    );
  }
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.has(name)) {
      const hint = name === 'keyPrefix' ? ' (the option is prefix, as in createRedisStore)' : '';
      throw new TypeError(
        `createRedisDedupStore: unknown option "${name}"${hint}; the options are client and prefix.`,
      );
    }
  }
  const { client } = options;
  if (!isScriptClient(client)) {
    throw new TypeError(
      `createRedisDedupStore: client must be a Redis client with evalsha and eval (an ioredis Redis or Cluster), got ${describeValue(client)}.`,
    );
  }
  const prefix = options.prefix ?? 'postern:dedup:';
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TypeError(
      `createRedisDedupStore: prefix must be a non-empty string such as "postern:dedup:", got ${describeValue(prefix)}.`,
    );
  }
  const keysOf = (ids: readonly string[]): string[] => ids.map((id) => prefix + id);

  return {
    async seen(ids) {
      if (ids.length === 0) return [];
      const reply = await runScript(client, SEEN, keysOf(ids), []);
      if (!Array.isArray(reply) || reply.length !== ids.length) {
        throw new Error(
          `postern dedup store: Redis answered ${JSON.stringify(reply)} for ${ids.length} ids; expected one 0 or 1 per id.`,
        );
      }
      return reply.map((exists) => exists === 1);
    },
    async remember(ids, windowMs) {
      if (!Number.isInteger(windowMs) || windowMs <= 0)
        throw new TypeError(`windowMs must be a whole number above 0, got ${String(windowMs)}.`);
      if (ids.length === 0) return;
      await runScript(client, REMEMBER, keysOf(ids), [windowMs]);
    },
  };
}
