import type { Delivery, DeliveryOutcome } from '../delivery/delivery.js';
import type { RelayLogger, SpoolEvent } from '../options.js';
import { openFileSpool, SpoolSerializationError, type FileSpool } from './file-spool.js';
import { createRedeliveryWorker, type RedeliveryWorker } from './redelivery.js';

export interface SpoolDeliveryOptions {
  spoolDir: string;
  maxSpoolBytes: number;
  /** Sends one batch upstream: `createDirectDelivery` from `@postern/core`. */
  forward: Delivery;
  /** The forward's own timeout: a claim lasts longer than one attempt can, so a live holder never loses it mid-send. */
  upstreamTimeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  redeliveryConcurrency: number;
  /** Default 5000 ms. */
  scanIntervalMs?: number;
  logger?: RelayLogger;
  onSpoolEvent?: (event: SpoolEvent) => void;
}

export interface SpoolDelivery extends Delivery {
  readonly spool: FileSpool;
  readonly worker: RedeliveryWorker;
  /** Resolves once the directory is usable and the worker has queued what an earlier run left. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * How long a claim on a spool entry holds before another process may take it over: the longest one
 * delivery can take, plus a margin. Every process sharing a spool must use the same rule.
 */
export function claimLeaseMs(upstreamTimeoutMs: number): number {
  return upstreamTimeoutMs + 5000;
}

/**
 * Durable delivery: each accepted batch is stored crash-safely, and only then reported `ok` (the relay
 * answers 202); the redelivery worker forwards it, now or after the upstream recovers.
 */
export function createSpoolDelivery(options: SpoolDeliveryOptions): SpoolDelivery {
  const { logger } = options;
  const spool = openFileSpool({
    dir: options.spoolDir,
    maxBytes: options.maxSpoolBytes,
    leaseMs: claimLeaseMs(options.upstreamTimeoutMs),
    ...(logger ? { logger } : {}),
    ...(options.onSpoolEvent ? { onEvent: options.onSpoolEvent } : {}),
  });
  const worker = createRedeliveryWorker({
    spool,
    forward: options.forward,
    concurrency: options.redeliveryConcurrency,
    retryBaseMs: options.retryBaseMs,
    retryMaxMs: options.retryMaxMs,
    scanIntervalMs: options.scanIntervalMs ?? 5000,
    ...(logger ? { logger } : {}),
    ...(options.onSpoolEvent ? { onEvent: options.onSpoolEvent } : {}),
  });
  const writes = new Set<Promise<unknown>>();
  let starting: Promise<void> | undefined;
  let closed = false;

  /** Starts once; a failed start (directory not writable yet) is retried by the next request rather than remembered forever. */
  function ready(): Promise<void> {
    starting ??= spool
      .init()
      .then(() => worker.start())
      .catch((error: unknown) => {
        starting = undefined;
        throw error;
      });
    return starting;
  }

  function refused(code: 'spool_full' | 'spool_unavailable', detail: string): DeliveryOutcome {
    if (code === 'spool_unavailable') options.onSpoolEvent?.({ type: 'refused', code });
    return { ok: false, code, detail };
  }

  async function store(events: readonly Record<string, unknown>[]): Promise<DeliveryOutcome> {
    try {
      await ready();
      const stored = await spool.store(events);
      if (!stored.ok)
        return refused('spool_full', `The spool holds ${options.maxSpoolBytes} bytes at most.`);
      worker.enqueue(stored.id);
      return { ok: true };
    } catch (error) {
      if (error instanceof SpoolSerializationError) {
        // The disk is fine: this batch cannot be written by anyone, so it is the relay's failure (500, as in direct mode), not the spool's.
        logger?.error(
          'postern: a batch could not be serialised for the spool; it is refused with 500 and nothing was written',
          { error: error.message },
        );
        return { ok: false, code: 'internal_error', detail: 'The batch could not be serialised.' };
      }
      logger?.error('postern: could not write to the spool; the batch is refused with 503', {
        dir: options.spoolDir,
        error: error instanceof Error ? error.message : String(error),
      });
      return refused(
        'spool_unavailable',
        'Check that the spool directory exists, is writable and has space.',
      );
    }
  }

  return {
    spool,
    worker,
    ready,
    deliver(events) {
      if (closed)
        return Promise.resolve(refused('spool_unavailable', 'The relay is shutting down.'));
      const write = store(events);
      writes.add(write);
      void write.finally(() => writes.delete(write));
      return write;
    },
    async close() {
      closed = true;
      await Promise.allSettled(writes);
      await worker.close();
    },
  };
}
