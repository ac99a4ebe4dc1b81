import type { RelayLogger } from '../options.js';
import type { DedupStore } from './store.js';

/** The events of one request, split by whether they still have to go upstream. */
export interface DedupSplit<T> {
  /** Events to deliver: first seen, in batch order, each id once. */
  forward: T[];
  /**
   * Reports whether `forward` was delivered (or stored); only then are its ids remembered. Returns a
   * promise only when the store answers asynchronously.
   */
  settle(delivered: boolean): void | Promise<void>;
}

export interface DedupGuard {
  /** A promise only when the store answers asynchronously or a retry waits for an attempt in flight. */
  split<T extends { event_id: string }>(
    events: readonly T[],
  ): DedupSplit<T> | Promise<DedupSplit<T>>;
}

/** One delivery attempt in flight; a retry that overlaps it waits for its outcome (made only then). */
interface Attempt {
  outcome?: Promise<boolean>;
  report?: (delivered: boolean) => void;
}

function outcomeOf(attempt: Attempt): Promise<boolean> {
  attempt.outcome ??= new Promise<boolean>((resolve) => (attempt.report = resolve));
  return attempt.outcome;
}

/**
 * R-DELIVER-7 and R-DELIVER-8: an id delivered within the window is not forwarded again, one that failed is.
 * The store remembers ids only after delivery. A retry that arrives while the first attempt is still in
 * flight in this process (an SDK's beacon on page hide during its fetch) waits for that attempt's outcome
 * instead of racing it. A store that fails is logged and treated as remembering nothing: a possible
 * duplicate, never a lost event. With a store that answers at once (the memory store) and no attempt to
 * wait for, the split and the settlement make no promise at all: each is a microtask hop on every request.
 */
export function createDedupGuard(
  store: DedupStore,
  windowMs: number,
  logger: RelayLogger | undefined,
): DedupGuard {
  const inFlight = new Map<string, Attempt>();

  function failed(ids: string[], error: unknown): boolean[] {
    logger?.warn('postern: the dedup store failed; events are forwarded without the check', {
      error: error instanceof Error ? error.message : String(error),
    });
    return ids.map(() => false);
  }

  /** The store's answer, without a promise hop when the store answers at once. */
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

  function rememberFailed(error: unknown): void {
    logger?.warn('postern: the dedup store failed to remember delivered events', {
      error: error instanceof Error ? error.message : String(error),
    });
  }

  /** Remembers delivered ids; a promise only when the store answers asynchronously. */
  function remember(forward: readonly { event_id: string }[]): void | Promise<void> {
    try {
      return store.remember(
        forward.map((event) => event.event_id),
        windowMs,
      );
    } catch (error) {
      rememberFailed(error);
    }
  }

  /** The split once the store answered: claims the ids to forward as this request's attempt. */
  function finish<T extends { event_id: string }>(
    firsts: Map<string, T>,
    pending: string[],
    seen: boolean[],
  ): DedupSplit<T> {
    for (let index = 0; index < pending.length; index++)
      if (seen[index]) firsts.delete(pending[index] as string);
    const forward = [...firsts.values()];
    const attempt: Attempt = {};
    for (const event of forward) inFlight.set(event.event_id, attempt);
    const release = (delivered: boolean): void => {
      for (const event of forward)
        if (inFlight.get(event.event_id) === attempt) inFlight.delete(event.event_id);
      attempt.report?.(delivered);
    };
    return {
      forward,
      settle(delivered) {
        const stored = delivered && forward.length > 0 ? remember(forward) : undefined;
        if (!stored) return release(delivered);
        return Promise.resolve(stored).then(
          () => release(delivered),
          (error: unknown) => {
            rememberFailed(error);
            release(delivered);
          },
        );
      },
    };
  }

  /** Waits for attempts in flight that hold some of the ids, then asks the store about the rest. */
  async function splitAfterWaiting<T extends { event_id: string }>(
    firsts: Map<string, T>,
  ): Promise<DedupSplit<T>> {
    const pending: string[] = [];
    for (const id of [...firsts.keys()]) {
      const attempt = inFlight.get(id);
      if (attempt && (await outcomeOf(attempt))) firsts.delete(id);
      else pending.push(id);
    }
    const seen = pending.length > 0 ? await seenByStore(pending) : [];
    return finish(firsts, pending, seen);
  }

  return {
    split(events) {
      const firsts = new Map<string, (typeof events)[number]>();
      let waits = false;
      for (const event of events) {
        if (firsts.has(event.event_id)) continue;
        firsts.set(event.event_id, event);
        if (inFlight.has(event.event_id)) waits = true;
      }
      if (waits) return splitAfterWaiting(firsts);
      const pending = [...firsts.keys()];
      const seen = seenByStore(pending);
      return Array.isArray(seen)
        ? finish(firsts, pending, seen)
        : seen.then((answer) => finish(firsts, pending, answer));
    },
  };
}
