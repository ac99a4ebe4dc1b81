import type { DedupStore } from './store.js';

export interface MemoryDedupStoreOptions {
  /** Ids remembered at once; past it the oldest are forgotten first. Default 100 000 (about 10 MB). */
  maxEvents?: number;
  /** The clock, for tests of the store itself. */
  now?: () => number;
}

/**
 * Delivered event ids in process memory, bounded in count and time. A Map answers lookups; a queue in
 * the order ids were remembered says which to forget first. Each call costs O(1) amortised per id: the
 * Map is never iterated, since iterating a Map from the front walks past every entry deleted before (what
 * made a first version cost ~100 µs per request once 100 000 ids had come and gone).
 *
 * @example
 * import { createBrowserRelay, createMemoryDedupStore } from '@postern/core';
 *
 * const relay = createBrowserRelay({
 *   projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN!,
 *   dedupStore: createMemoryDedupStore({ maxEvents: 20_000 }),
 * });
 */
export function createMemoryDedupStore(options: MemoryDedupStoreOptions = {}): DedupStore {
  const maxEvents = options.maxEvents ?? 100_000;
  if (!Number.isInteger(maxEvents) || maxEvents <= 0)
    throw new TypeError(`maxEvents must be a whole number above 0, got ${String(maxEvents)}.`);
  const now = options.now ?? Date.now;
  const expiries = new Map<string, number>();
  // Parallel arrays used as a queue from `head`; an entry is stale when its id was remembered again later.
  let queueIds: string[] = [];
  let queueExpiries: number[] = [];
  let head = 0;

  /** Forgets ids whose window ended, and the oldest beyond maxEvents. */
  function sweep(at: number): void {
    while (head < queueIds.length) {
      const id = queueIds[head] as string;
      const expiresAt = queueExpiries[head] as number;
      const current = expiries.get(id);
      if (current === expiresAt) {
        if (expiresAt > at && expiries.size <= maxEvents) break;
        expiries.delete(id);
      }
      head++;
    }
    // Drop the consumed front once it is most of the arrays, so they stay proportional to what is remembered.
    if (head > 1024 && head * 2 > queueIds.length) {
      queueIds = queueIds.slice(head);
      queueExpiries = queueExpiries.slice(head);
      head = 0;
    }
  }

  return {
    seen(ids) {
      const at = now();
      sweep(at);
      return ids.map((id) => (expiries.get(id) ?? 0) > at);
    },
    remember(ids, windowMs) {
      const at = now();
      for (const id of ids) {
        expiries.set(id, at + windowMs);
        queueIds.push(id);
        queueExpiries.push(at + windowMs);
      }
      sweep(at);
    },
  };
}
