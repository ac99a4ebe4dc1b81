import type { RelayLogger } from '../options.js';
import type { DedupStore } from './store.js';

/** The events of one request, split by whether they still have to go upstream. */
export interface DedupSplit<T> {
  /** Events to deliver: first seen, in batch order, each id once. */
  forward: T[];
  /** Reports whether `forward` was delivered (or stored); only then are its ids remembered. */
  settle(delivered: boolean): Promise<void>;
}

export interface DedupGuard {
  split<T extends { event_id: string }>(events: readonly T[]): Promise<DedupSplit<T>>;
}

/**
 * R-DELIVER-7 and R-DELIVER-8: an id delivered within the window is not forwarded again, one that failed is.
 * The store remembers ids only after delivery. A retry that arrives while the first attempt is still in
 * flight in this process (an SDK's beacon on page hide during its fetch) waits for that attempt's outcome
 * instead of racing it. A store that fails is logged and treated as remembering nothing: a possible
 * duplicate, never a lost event.
 */
export function createDedupGuard(
  store: DedupStore,
  windowMs: number,
  logger: RelayLogger | undefined,
): DedupGuard {
  const inFlight = new Map<string, Promise<boolean>>();

  function failed(ids: string[], error: unknown): boolean[] {
    logger?.warn('postern: the dedup store failed; events are forwarded without the check', {
      error: error instanceof Error ? error.message : String(error),
    });
    return ids.map(() => false);
  }

  /** The store's answer, without a promise hop when the store answers at once (the memory store). */
  function seenByStore(ids: string[]): boolean[] | Promise<boolean[]> {
    try {
      const seen = store.seen(ids);
      return Array.isArray(seen)
        ? seen
        : Promise.resolve(seen).catch((error: unknown) => failed(ids, error));
    } catch (error) {
      return failed(ids, error);
    }
  }

  return {
    async split(events) {
      const firsts = new Map<string, (typeof events)[number]>();
      for (const event of events)
        if (!firsts.has(event.event_id)) firsts.set(event.event_id, event);
      const pending: string[] = [];
      for (const id of firsts.keys()) {
        const attempt = inFlight.get(id);
        if (attempt && (await attempt)) firsts.delete(id);
        else pending.push(id);
      }
      const answer = pending.length > 0 ? seenByStore(pending) : [];
      const seen = Array.isArray(answer) ? answer : await answer;
      pending.forEach((id, index) => {
        if (seen[index]) firsts.delete(id);
      });
      const forward = [...firsts.values()];
      let resolve: (delivered: boolean) => void = () => undefined;
      const outcome = new Promise<boolean>((done) => (resolve = done));
      for (const event of forward) inFlight.set(event.event_id, outcome);
      return {
        forward,
        async settle(delivered) {
          try {
            if (delivered && forward.length > 0) {
              const stored = store.remember(
                forward.map((event) => event.event_id),
                windowMs,
              );
              if (stored) await stored;
            }
          } catch (error) {
            logger?.warn('postern: the dedup store failed to remember delivered events', {
              error: error instanceof Error ? error.message : String(error),
            });
          } finally {
            for (const event of forward)
              if (inFlight.get(event.event_id) === outcome) inFlight.delete(event.event_id);
            resolve(delivered);
          }
        },
      };
    },
  };
}
