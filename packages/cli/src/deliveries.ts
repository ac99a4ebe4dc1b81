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
import type { RedisSpoolConsumer } from '@postern/redis';
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

/**
 * The server builds its delivery itself rather than letting the engine load one, so it can time every
 * upstream POST, report the spool in /metrics and /readyz, and drain it on shutdown. The Redis client is
 * loaded only for a Redis spool: ioredis subclasses `String` (resp/verbatim-string.js), and once a process
 * has loaded that, V8's optimised `charCodeAt` and `indexOf` run several times slower in all of its code.
 */
export async function createServerDelivery(
  config: ServeConfig,
  logger: RelayLogger,
  hooks: {
    forward?: (ms: number, ok: boolean) => void;
    spoolEvent?: (event: SpoolEvent) => void;
  } = {},
): Promise<ServerDelivery> {
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
  if (config.spoolRedis) {
    const { redisSpool } = await import('./redis-spool.js');
    return redisSpool(
      { ...config, spoolRedis: config.spoolRedis },
      forward,
      settings,
      logger,
      hooks.spoolEvent,
    );
  }
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
