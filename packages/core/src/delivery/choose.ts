import type { RelayLogger, BrowserRelayOptions, DeliverySettings } from '../options.js';
import type { Delivery } from './delivery.js';
import { loadSpoolModule, spoolUnavailableReason } from './spool-loader.js';

/**
 * A delivery whose implementation arrives asynchronously (the spool module). Loading starts at once, so
 * a restarted relay rescans its spool without waiting for the next request; a failed load is retried by
 * the next request, which meanwhile gets 503 `spool_unavailable`.
 */
function deferredDelivery(
  load: () => Promise<Delivery>,
  logger: RelayLogger | undefined,
): Delivery {
  let loaded: Promise<Delivery> | undefined;
  const get = (): Promise<Delivery> =>
    (loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    }));
  get().catch((error: unknown) =>
    logger?.error('postern: the spool could not be started', {
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  return {
    async deliver(events) {
      let delivery: Delivery;
      try {
        delivery = await get();
      } catch {
        return {
          ok: false,
          code: 'spool_unavailable',
          detail: 'The spool could not be started; see the relay log.',
        };
      }
      return delivery.deliver(events);
    },
    async close() {
      const delivery = await loaded?.catch(() => undefined);
      await delivery?.close?.();
    },
  };
}

/** The delivery the options ask for: the caller's own, direct forwarding, the durable spool or local files. */
export function chooseDelivery(
  options: BrowserRelayOptions,
  settings: DeliverySettings,
  forward: Delivery | undefined,
  upstreamTimeoutMs: number,
): Delivery {
  if (options.delivery) return options.delivery;
  if (settings.mode === 'direct') return forward as Delivery;
  const unavailable = spoolUnavailableReason();
  if (unavailable !== undefined) {
    const option = settings.mode === 'durable' ? 'durableWrite: true' : 'projectMode: "local-only"';
    throw new TypeError(
      `${option} writes files and needs a Node runtime with a writable directory (${unavailable}); on this runtime use durableWrite: false.`,
    );
  }
  const { logger, onSpoolEvent } = options;
  return deferredDelivery(async () => {
    const spool = await loadSpoolModule();
    if (settings.mode === 'local-only')
      return spool.createLocalDelivery({
        localEventsDir: settings.localEventsDir,
        ...(logger ? { logger } : {}),
      });
    const delivery = spool.createSpoolDelivery({
      spoolDir: settings.spoolDir,
      maxSpoolBytes: settings.maxSpoolBytes,
      forward: forward as Delivery,
      upstreamTimeoutMs,
      retryBaseMs: settings.retryBaseMs,
      retryMaxMs: settings.retryMaxMs,
      redeliveryConcurrency: settings.redeliveryConcurrency,
      ...(logger ? { logger } : {}),
      ...(onSpoolEvent ? { onSpoolEvent } : {}),
    });
    delivery
      .ready()
      .catch((error: unknown) =>
        logger?.error(
          'postern: the spool directory is not usable yet; batches get 503 until it is',
          { error: error instanceof Error ? error.message : String(error) },
        ),
      );
    return delivery;
  }, logger);
}
