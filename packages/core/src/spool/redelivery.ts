import type { Delivery } from '../delivery/delivery.js';
import type { RelayLogger, SpoolEvent } from '../options.js';
import { attemptEvent } from './attempt.js';
import { backoffDelay, retryAfterMs } from './backoff.js';
import type { FileSpool } from './file-spool.js';

export interface RedeliveryOptions {
  spool: FileSpool;
  /** Sends one batch upstream (the direct delivery). */
  forward: Delivery;
  concurrency: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often the directory is rescanned for entries this process did not write (another process's, or a crashed one's). */
  scanIntervalMs: number;
  logger?: RelayLogger;
  onEvent?: (event: SpoolEvent) => void;
}

export interface RedeliveryWorker {
  /** Recovers stale claims, queues every pending entry and keeps rescanning. */
  start(): Promise<void>;
  /** A new entry this process just stored: forwarded at once unless the upstream is being backed off. */
  enqueue(id: string): void;
  /** Forwards every pending entry now, ignoring backoff, one pass; for `postern replay`. */
  drain(
    onProgress?: (done: { delivered: number; failed: number; total: number }) => void,
  ): Promise<{ delivered: number; failed: number; quarantined: number; total: number }>;
  /** Stops scheduling and waits for attempts in progress. */
  close(): Promise<void>;
  readonly backoffUntil: number;
}

type AttemptResult = 'delivered' | 'retry' | 'quarantined' | 'skipped';

/**
 * Forwards spool entries: oldest first, at most `concurrency` at once, each claimed exclusively before it
 * is sent. A transient failure (unreachable, timeout, 408, 429, 5xx) backs the whole upstream off
 * exponentially, or as long as its `Retry-After` asks, and while backing off only one entry probes at a
 * time; a permanent refusal (any other 4xx) quarantines that entry.
 */
export function createRedeliveryWorker(options: RedeliveryOptions): RedeliveryWorker {
  const { spool, forward, logger, onEvent } = options;
  const queue = new Set<string>();
  const active = new Map<string, Promise<AttemptResult>>();
  let failures = 0;
  let backoffUntil = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let scanTimer: ReturnType<typeof setTimeout> | undefined;
  let scanning: Promise<void> | undefined;
  let stopped = false;

  async function attempt(id: string, redelivery: boolean): Promise<AttemptResult> {
    const claim = await spool.claim(id);
    if (!claim) return 'skipped';
    let events: Record<string, unknown>[];
    try {
      events = await claim.events();
    } catch (error) {
      // Entries appear by rename only when complete, so this is damage from outside; keep it for a person to see.
      await claim.quarantine(
        `unreadable entry: ${error instanceof Error ? error.message : String(error)}`,
      );
      return 'quarantined';
    }
    const started = Date.now();
    const outcome = await forward.deliver(events);
    const durationMs = Date.now() - started;
    onEvent?.(attemptEvent(outcome, durationMs, redelivery));
    if (outcome.ok) {
      failures = 0;
      backoffUntil = 0;
      await claim.delivered();
      return 'delivered';
    }
    if (outcome.code === 'upstream_rejected') {
      await claim.quarantine(outcome.detail, outcome.status);
      return 'quarantined';
    }
    await claim.release();
    failures++;
    const wait = Math.max(
      backoffDelay(failures, options.retryBaseMs, options.retryMaxMs),
      retryAfterMs(outcome.retryAfter) ?? 0,
    );
    backoffUntil = Math.max(backoffUntil, Date.now() + wait);
    logger?.warn('postern: upstream delivery failed; the entry stays in the spool', {
      code: outcome.code,
      retryInMs: wait,
      consecutiveFailures: failures,
    });
    return 'retry';
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(pump, delayMs);
    // The worker never keeps a process alive on its own: the server (or the app) decides when to exit.
    timer.unref?.();
  }

  function pump(): void {
    if (stopped) return;
    const wait = backoffUntil - Date.now();
    if (wait > 0) {
      schedule(wait);
      return;
    }
    // While the upstream is failing, one probe at a time; full concurrency once it answers again.
    const limit = failures > 0 ? 1 : options.concurrency;
    const ids = [...queue].sort();
    for (const id of ids) {
      if (active.size >= limit) break;
      queue.delete(id);
      if (active.has(id)) continue;
      const running = attempt(id, true)
        .catch((error: unknown) => {
          logger?.error('postern: a spool entry could not be handled; it stays for the next scan', {
            id,
            error: error instanceof Error ? error.message : String(error),
          });
          return 'skipped' as const;
        })
        .then((result) => {
          active.delete(id);
          if (result === 'retry') queue.add(id);
          pump();
          return result;
        });
      active.set(id, running);
    }
  }

  async function scan(): Promise<void> {
    try {
      await spool.recoverStale();
      for (const entry of await spool.list())
        if (entry.state === 'pending' && !active.has(entry.id)) queue.add(entry.id);
      pump();
    } catch (error) {
      logger?.error('postern: could not scan the spool directory', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  function scheduleScan(): void {
    if (stopped) return;
    scanTimer = setTimeout(() => {
      scanning = scan().finally(scheduleScan);
    }, options.scanIntervalMs);
    scanTimer.unref?.();
  }

  return {
    get backoffUntil() {
      return backoffUntil;
    },
    async start() {
      scanning = scan();
      await scanning;
      scheduleScan();
    },
    enqueue(id) {
      queue.add(id);
      pump();
    },
    async drain(onProgress) {
      await spool.recoverStale();
      const pending = (await spool.list())
        .filter((entry) => entry.state === 'pending')
        .map((entry) => entry.id);
      const totals = { delivered: 0, failed: 0, quarantined: 0, total: pending.length };
      let next = 0;
      const lane = async (): Promise<void> => {
        while (next < pending.length) {
          const id = pending[next++] as string;
          queue.delete(id);
          const result = await attempt(id, true);
          if (result === 'delivered') totals.delivered++;
          else if (result === 'quarantined') totals.quarantined++;
          else if (result === 'retry') totals.failed++;
          onProgress?.({
            delivered: totals.delivered,
            failed: totals.failed + totals.quarantined,
            total: totals.total,
          });
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(options.concurrency, pending.length) }, lane),
      );
      return totals;
    },
    async close() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(scanTimer);
      await scanning;
      await Promise.allSettled(active.values());
    },
  };
}
