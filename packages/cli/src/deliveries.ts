import { access, constants } from 'node:fs/promises';
import {
  createDirectDelivery,
  DEFAULTS,
  resolveDeliverySettings,
  VERSION,
  type DedupStore,
  type Delivery,
  type RelayLogger,
  type SpoolEvent,
} from '@postern/core';
import {
  createLocalDelivery,
  createSpoolDelivery,
  type PruneResult,
  type RetentionPolicy,
  type SpoolDelivery,
  type SpoolStats,
} from '@postern/core/spool';
import { undiciTransport } from '@postern/node';
import {
  createRedisDedupStore,
  createRedisSpoolDelivery,
  type RedisSpoolConsumer,
} from '@postern/redis';
import { Redis } from 'ioredis';
import type { ServeConfig } from './config.js';

/** The durable spool as the server reports and cleans it, whichever kind it is. */
export interface ServerSpool {
  kind: 'file' | 'redis';
  /** The directory, or the Redis stream's key, for logs and messages. */
  where: string;
  /** Starts the spool's worker; resolves once a batch sent now could be stored (the directory writable, or Redis answering). */
  ready(): Promise<void>;
  /** The same check without starting a worker: for commands that only read or prune the spool. */
  check(): Promise<void>;
  stats(): Promise<SpoolStats & { consumers?: RedisSpoolConsumer[] }>;
  prune(policy: RetentionPolicy): Promise<PruneResult>;
}

export interface ServerDelivery {
  mode: 'direct' | 'durable' | 'local-only';
  /** What the relay hands accepted batches to. */
  delivery: Delivery;
  /** Durable mode only: the spool, for metrics, readiness and the hourly clean. */
  spool?: ServerSpool;
  /** The file spool itself, for `postern replay`. */
  fileSpool?: SpoolDelivery;
  /** With the Redis spool: delivered ids on the same Redis, so a retry that reaches another instance is not forwarded twice. */
  dedupStore?: DedupStore;
  /** Connected modes: one upstream POST, timed. */
  forward?: Delivery;
  /** Releases what the delivery holds beyond the relay (the Redis connection); after the relay has closed. */
  dispose(): Promise<void>;
}

/** How long a first connection to Redis is waited for before the spool reports itself not ready. */
const REDIS_CONNECT_WAIT_MS = 5000;

function redisSpool(
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

/**
 * The server builds its delivery itself rather than letting the engine load one, so it can time every
 * upstream POST, report the spool in /metrics and /readyz, and drain it on shutdown.
 */
export function createServerDelivery(
  config: ServeConfig,
  logger: RelayLogger,
  hooks: {
    forward?: (ms: number, ok: boolean) => void;
    spoolEvent?: (event: SpoolEvent) => void;
  } = {},
): ServerDelivery {
  const relay = config.relay;
  const settings = resolveDeliverySettings(relay);
  const dispose = async (): Promise<void> => undefined;
  if (settings.mode === 'local-only') {
    return {
      mode: 'local-only',
      delivery: createLocalDelivery({ localEventsDir: settings.localEventsDir, logger }),
      dispose,
    };
  }
  const direct = createDirectDelivery({
    endpoint: new URL(relay.endpoint ?? DEFAULTS.endpoint).href,
    projectToken: relay.projectToken as string,
    timeoutMs: relay.upstreamTimeoutMs ?? DEFAULTS.upstreamTimeoutMs,
    transport: undiciTransport(),
    userAgent: `postern/${VERSION}`,
  });
  const forward: Delivery = {
    async deliver(events) {
      const started = Date.now();
      const outcome = await direct.deliver(events);
      hooks.forward?.(Date.now() - started, outcome.ok);
      return outcome;
    },
  };
  if (settings.mode === 'direct') return { mode: 'direct', delivery: forward, forward, dispose };
  if (config.spoolRedis)
    return redisSpool(
      { ...config, spoolRedis: config.spoolRedis },
      forward,
      settings,
      logger,
      hooks.spoolEvent,
    );
  const file = createSpoolDelivery({
    spoolDir: settings.spoolDir,
    maxSpoolBytes: settings.maxSpoolBytes,
    forward,
    upstreamTimeoutMs: relay.upstreamTimeoutMs ?? DEFAULTS.upstreamTimeoutMs,
    retryBaseMs: settings.retryBaseMs,
    retryMaxMs: settings.retryMaxMs,
    redeliveryConcurrency: settings.redeliveryConcurrency,
    logger,
    ...(hooks.spoolEvent ? { onSpoolEvent: hooks.spoolEvent } : {}),
  });
  return {
    mode: 'durable',
    delivery: file,
    spool: {
      kind: 'file',
      where: settings.spoolDir,
      async ready() {
        await file.ready();
        await access(settings.spoolDir, constants.W_OK);
      },
      async check() {
        await file.spool.init();
        await access(settings.spoolDir, constants.W_OK);
      },
      stats: () => file.spool.stats(),
      prune: (policy) => file.spool.prune(policy),
    },
    fileSpool: file,
    forward,
    dispose,
  };
}
