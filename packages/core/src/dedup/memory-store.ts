import type { DedupStore } from './store.js';

export interface MemoryDedupStoreOptions {
  /** Ids remembered at once; past it the oldest are forgotten first. Default 100 000 (about 10 MB). */
  maxEvents?: number;
  /** The clock, for tests of the store itself. */
  now?: () => number;
}

/** A lowercase UUID (`crypto.randomUUID()`, what browser SDKs send) read as four 32-bit words; false for any other id. */
function readUuid(id: string, words: Int32Array): boolean {
  if (id.length !== 36) return false;
  let word = 0;
  let value = 0;
  let digits = 0;
  for (let index = 0; index < 36; index++) {
    const code = id.charCodeAt(index);
    if (index === 8 || index === 13 || index === 18 || index === 23) {
      if (code !== 0x2d) return false;
      continue;
    }
    let nibble: number;
    if (code >= 0x30 && code <= 0x39) nibble = code - 0x30;
    else if (code >= 0x61 && code <= 0x66) nibble = code - 0x57;
    else return false;
    value = (value << 4) | nibble;
    if (++digits === 8) {
      words[word++] = value;
      value = 0;
      digits = 0;
    }
  }
  return true;
}

/**
 * Delivered event ids in process memory, bounded in count and time, forgotten oldest first. UUIDs, what
 * every browser SDK sends, live as 128-bit keys in an open-addressing table of typed arrays, so remembering
 * 100 000 of them keeps no string alive and gives the garbage collector nothing to trace: a `Map` of the id
 * strings cost the forward path ~15 % of its CPU (bench/results/stage-budget.md). Any other id string goes
 * into a `Map`. One queue in the order ids were remembered says which to forget first; each call costs O(1)
 * amortised per id. The table's hash is keyed with a random seed, so ids a client picks cannot be made to
 * collide into long probe runs.
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
  const seed = (Math.random() * 0x100000000) | 0;
  const words = new Int32Array(4);

  // The table: four key words and an expiry per slot (0: empty), at most half full.
  let mask = 1023;
  let keys = new Int32Array((mask + 1) * 4);
  let expiries = new Float64Array(mask + 1);
  let uuids = 0;
  // Ids that are not lowercase UUIDs.
  const others = new Map<string, number>();

  // The queue, a ring from `head` of `queued` entries: key words or an id string, and the expiry it was
  // remembered with; an entry is stale when its id was remembered again later.
  let ring = 1024;
  let queueWords = new Int32Array(ring * 4);
  let queueExpiries = new Float64Array(ring);
  let queueStrings: (string | undefined)[] = new Array(ring);
  let head = 0;
  let queued = 0;

  /** The home slot of the key in the four words of `source` from `at`. */
  function hash(source: Int32Array, at: number): number {
    let h = Math.imul((source[at] as number) ^ seed, 0x85ebca6b);
    h = Math.imul(h ^ (source[at + 1] as number) ^ (h >>> 13), 0xc2b2ae35);
    h = Math.imul(h ^ (source[at + 2] as number) ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (source[at + 3] as number) ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & mask;
  }

  /** The slot holding the key in `source` from `at`, or the empty slot where it would go (check `expiries[slot]`). */
  function slotOf(source: Int32Array, at: number): number {
    let slot = hash(source, at);
    while (expiries[slot] !== 0) {
      const to = slot * 4;
      if (
        keys[to] === source[at] &&
        keys[to + 1] === source[at + 1] &&
        keys[to + 2] === source[at + 2] &&
        keys[to + 3] === source[at + 3]
      )
        return slot;
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  /** Deletes by shifting later entries of the probe run back, so no tombstones lengthen lookups. */
  function deleteSlot(slot: number): void {
    let gap = slot;
    let next = (slot + 1) & mask;
    while (expiries[next] !== 0) {
      const at = next * 4;
      const home = hash(keys, at);
      // It moves back into the gap when the gap lies on its probe run: no farther from where it sits than its home.
      if (((next - home) & mask) >= ((next - gap) & mask)) {
        keys.copyWithin(gap * 4, at, at + 4);
        expiries[gap] = expiries[next] as number;
        gap = next;
      }
      next = (next + 1) & mask;
    }
    expiries[gap] = 0;
    uuids--;
  }

  function grow(): void {
    const oldKeys = keys;
    const oldExpiries = expiries;
    mask = mask * 2 + 1;
    keys = new Int32Array((mask + 1) * 4);
    expiries = new Float64Array(mask + 1);
    for (let slot = 0; slot < oldExpiries.length; slot++) {
      if (oldExpiries[slot] === 0) continue;
      const at = slot * 4;
      const to = slotOf(oldKeys, at);
      keys.set(oldKeys.subarray(at, at + 4), to * 4);
      expiries[to] = oldExpiries[slot] as number;
    }
  }

  function enqueue(id: string | undefined, expiresAt: number): void {
    if (queued === ring) {
      const words2 = new Int32Array(ring * 8);
      const expiries2 = new Float64Array(ring * 2);
      const strings2: (string | undefined)[] = new Array(ring * 2);
      for (let n = 0; n < queued; n++) {
        const from = (head + n) % ring;
        words2.set(queueWords.subarray(from * 4, from * 4 + 4), n * 4);
        expiries2[n] = queueExpiries[from] as number;
        strings2[n] = queueStrings[from];
      }
      queueWords = words2;
      queueExpiries = expiries2;
      queueStrings = strings2;
      head = 0;
      ring *= 2;
    }
    const tail = (head + queued) % ring;
    if (id === undefined) queueWords.set(words, tail * 4);
    queueStrings[tail] = id;
    queueExpiries[tail] = expiresAt;
    queued++;
  }

  /** Forgets ids whose window ended, and the oldest beyond maxEvents. */
  function sweep(at: number): void {
    while (queued > 0) {
      const expiresAt = queueExpiries[head] as number;
      const id = queueStrings[head];
      const over = expiresAt <= at || uuids + others.size > maxEvents;
      if (id !== undefined) {
        if (others.get(id) === expiresAt) {
          if (!over) return;
          others.delete(id);
        }
        queueStrings[head] = undefined;
      } else {
        const from = head * 4;
        const slot = slotOf(queueWords, from);
        if (expiries[slot] === expiresAt) {
          if (!over) return;
          deleteSlot(slot);
        }
      }
      head = (head + 1) % ring;
      queued--;
    }
  }

  return {
    seen(ids) {
      const at = now();
      sweep(at);
      const answer = new Array<boolean>(ids.length);
      for (let index = 0; index < ids.length; index++) {
        const id = ids[index] as string;
        if (readUuid(id, words)) {
          const slot = slotOf(words, 0);
          answer[index] = (expiries[slot] as number) > at;
        } else answer[index] = (others.get(id) ?? 0) > at;
      }
      return answer;
    },
    remember(ids, windowMs) {
      const at = now();
      // An expiry of 0 marks an empty slot; a window of 0 would remember nothing anyway.
      if (!(windowMs > 0)) return;
      const expiresAt = at + windowMs;
      for (const id of ids) {
        if (readUuid(id, words)) {
          if ((uuids + 1) * 2 > mask + 1) grow();
          const slot = slotOf(words, 0);
          if (expiries[slot] === 0) {
            keys.set(words, slot * 4);
            uuids++;
          }
          expiries[slot] = expiresAt;
          enqueue(undefined, expiresAt);
        } else {
          others.set(id, expiresAt);
          enqueue(id, expiresAt);
        }
      }
      sweep(at);
    },
  };
}
