import {
  createDirectDelivery,
  DEFAULTS,
  resolveDeliverySettings,
  VERSION,
  type Delivery,
  type RelayLogger,
  type SpoolEvent,
} from '@postern/core';
import { undiciTransport } from '@postern/node';
import { createLocalDelivery, createSpoolDelivery, type SpoolDelivery } from '@postern/core/spool';
import type { ServeConfig } from './config.js';

export interface ServerDelivery {
  mode: 'direct' | 'durable' | 'local-only';
  /** What the relay hands accepted batches to. */
  delivery: Delivery;
  /** Durable mode only: the spool, for metrics, readiness, replay and clean. */
  spool?: SpoolDelivery;
  /** Connected modes: one upstream POST, timed. */
  forward?: Delivery;
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
  if (settings.mode === 'local-only') {
    return {
      mode: 'local-only',
      delivery: createLocalDelivery({ localEventsDir: settings.localEventsDir, logger }),
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
  if (settings.mode === 'direct') return { mode: 'direct', delivery: forward, forward };
  const spool = createSpoolDelivery({
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
  return { mode: 'durable', delivery: spool, spool, forward };
}
