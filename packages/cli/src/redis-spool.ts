import {
  DEFAULTS,
  type Delivery,
  type RelayLogger,
  type resolveDeliverySettings,
  type SpoolEvent,
} from '@postern/core';
import { createRedisDedupStore, createRedisSpoolDelivery } from '@postern/redis';
import { Redis } from 'ioredis';
import type { ServeConfig } from './config.js';
import type { ServerDelivery } from './deliveries.js';

/** How long a first connection to Redis is waited for before the spool reports itself not ready. */
const REDIS_CONNECT_WAIT_MS = 5000;

/** The durable spool in a Redis stream, which a fleet of relays shares, and delivered ids on the same Redis. */
export function redisSpool(
  config: ServeConfig & { spoolRedis: { url: string; prefix: string } },
  forward: Delivery,
  settings: ReturnType<typeof resolveDeliverySettings>,
  logger: RelayLogger,
  spoolEvent: ((event: SpoolEvent) => void) | undefined,
): ServerDelivery {
  // Fail fast while Redis is away: a batch is refused 503 at once and the SDK sends it again, rather than
  // requests piling up behind a queue that Redis may never drain.
  const client = new Redis(config.spoolRedis.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  client.on('error', () => undefined); // reported by each refused store and by readiness, not per reconnect attempt
  const upstreamTimeoutMs = config.relay.upstreamTimeoutMs ?? DEFAULTS.upstreamTimeoutMs;
  const spool = createRedisSpoolDelivery({
    client,
    forward,
    upstreamTimeoutMs,
    prefix: config.spoolRedis.prefix,
    maxBytes: settings.maxSpoolBytes,
    retryBaseMs: settings.retryBaseMs,
    retryMaxMs: settings.retryMaxMs,
    // The stream's own default unless set: each entry costs Redis round trips, so more are in flight at once.
    ...(config.relay.redeliveryConcurrency === undefined
      ? {}
      : { concurrency: settings.redeliveryConcurrency }),
    logger,
    ...(spoolEvent ? { onSpoolEvent: spoolEvent } : {}),
  });
  let retrying = false;
  const connected = (): Promise<void> =>
    client.status === 'ready'
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            client.off('ready', done);
            reject(new Error(`Redis at ${config.spoolRedis.url} did not answer`));
          }, REDIS_CONNECT_WAIT_MS);
          const done = (): void => {
            clearTimeout(timer);
            resolve();
          };
          client.once('ready', done);
        });
  return {
    mode: 'durable',
    delivery: spool,
    spool: {
      kind: 'redis',
      where: spool.keys.stream,
      async ready() {
        // A worker that could not start (Redis down at boot) starts once Redis is back, traffic or not.
        if (!retrying) {
          retrying = true;
          client.on('ready', () => void spool.ready().catch(() => undefined));
        }
        await connected();
        await spool.ready();
      },
      async check() {
        await connected();
        await spool.ensureGroup();
      },
      stats: () => spool.stats(),
      prune: (policy) => spool.prune(policy),
    },
    ...(config.relay.dedupWindowMs === 0
      ? {}
      : {
          dedupStore: createRedisDedupStore({
            client,
            prefix: `${config.spoolRedis.prefix}dedup:`,
          }),
        }),
    forward,
    async dispose() {
      await spool.close();
      client.disconnect();
    },
  };
}
