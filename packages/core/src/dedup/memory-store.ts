import type { DedupStore } from './store.js';

export interface MemoryDedupStoreOptions {
  /** Ids remembered at once; past it the oldest are forgotten first. Default 100 000 (about 15 MB). */
  maxEvents?: number;
  /** The clock, for tests of the store itself. */
  now?: () => number;
}

/**
 * Delivered event ids in process memory, bounded in count and time. Every id lives for the same window, so
 * insertion order is expiry order: expired ids are dropped from the front of one Map as calls come, and
 * each call costs O(1) amortised per id.
 *
 * @example
 * createRelay({ projectToken, dedupStore: createMemoryDedupStore({ maxEvents: 20_000 }) });
 */
export function createMemoryDedupStore(options: MemoryDedupStoreOptions = {}): DedupStore {
  const maxEvents = options.maxEvents ?? 100_000;
  if (!Number.isInteger(maxEvents) || maxEvents <= 0) throw new TypeError(`maxEvents must be a whole number above 0, got ${String(maxEvents)}.`);
  const now = options.now ?? Date.now;
  const expiries = new Map<string, number>();

  function sweep(at: number): void {
    for (const [id, expiresAt] of expiries) {
      if (expiresAt > at && expiries.size <= maxEvents) return;
      expiries.delete(id);
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
        // Delete first so a re-remembered id moves to the back, keeping the Map in expiry order.
        expiries.delete(id);
        expiries.set(id, at + windowMs);
      }
      sweep(at);
    },
  };
}
