import { describe, expect, it } from 'vitest';
import { createMemoryDedupStore } from './memory-store.js';

describe('createMemoryDedupStore', () => {
  it('remembers ids for the window, then forgets them', () => {
    let now = 1_000;
    const store = createMemoryDedupStore({ now: () => now });
    store.remember(['a', 'b'], 100);
    expect(store.seen(['a', 'b', 'c'])).toEqual([true, true, false]);
    now = 1_099;
    expect(store.seen(['a'])).toEqual([true]);
    now = 1_100;
    expect(store.seen(['a', 'b'])).toEqual([false, false]);
  });

  it('extends the window of an id remembered again', () => {
    let now = 0;
    const store = createMemoryDedupStore({ now: () => now });
    store.remember(['a'], 100);
    now = 90;
    store.remember(['a'], 100);
    now = 150;
    expect(store.seen(['a'])).toEqual([true]);
  });

  it('holds at most maxEvents ids, forgetting the oldest first', () => {
    const store = createMemoryDedupStore({ maxEvents: 3 });
    store.remember(['1', '2', '3'], 60_000);
    store.remember(['4'], 60_000);
    expect(store.seen(['1', '2', '3', '4'])).toEqual([false, true, true, true]);
  });

  it('refuses a maxEvents that is not a positive whole number', () => {
    expect(() => createMemoryDedupStore({ maxEvents: 0 })).toThrow(
      'maxEvents must be a whole number above 0, got 0.',
    );
  });

  const uuid = (n: number, prefix = '00000000-0000-4000-8000-'): string =>
    `${prefix}${n.toString(16).padStart(12, '0')}`;

  it('tells apart ids that differ only in case or dashes, or are not UUIDs at all', () => {
    const store = createMemoryDedupStore();
    const lower = 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d';
    store.remember([lower, 'not-a-uuid'], 60_000);
    expect(
      store.seen([
        lower,
        lower.toUpperCase(),
        lower.replaceAll('-', ''),
        'not-a-uuid',
        'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4e',
      ]),
    ).toEqual([true, false, false, true, false]);
  });

  it('forgets the oldest first across UUIDs and other ids', () => {
    const store = createMemoryDedupStore({ maxEvents: 3 });
    store.remember([uuid(1), 'x', uuid(2)], 60_000);
    store.remember(['y'], 60_000);
    expect(store.seen([uuid(1), 'x', uuid(2), 'y'])).toEqual([false, true, true, true]);
    store.remember([uuid(3)], 60_000);
    expect(store.seen([uuid(1), 'x', uuid(2), 'y', uuid(3)])).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);
  });

  it('answers as a Map of ids with an insertion-order queue would, over random operations', () => {
    // A reference with the documented behaviour, against the table (growing, deleting by shifting back).
    let now = 0;
    const maxEvents = 300;
    const store = createMemoryDedupStore({ maxEvents, now: () => now });
    const expiries = new Map<string, number>();
    const queue: [string, number][] = [];
    const sweep = () => {
      while (queue.length > 0) {
        const [id, expiresAt] = queue[0] as [string, number];
        if (expiries.get(id) === expiresAt) {
          if (expiresAt > now && expiries.size <= maxEvents) break;
          expiries.delete(id);
        }
        queue.shift();
      }
    };
    let seed = 11;
    const next = (n: number) => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    // Few distinct ids, so ids come back: remembered again, seen again, forgotten and remembered again.
    const idOf = () => (next(10) === 0 ? `other-${next(60)}` : uuid(next(600)));
    let hits = 0;
    for (let step = 0; step < 20_000; step++) {
      now += next(3);
      const ids = Array.from({ length: 1 + next(6) }, idOf);
      if (next(2) === 0) {
        const windowMs = 50 + next(400);
        for (const id of ids) {
          expiries.set(id, now + windowMs);
          queue.push([id, now + windowMs]);
        }
        sweep();
        store.remember(ids, windowMs);
      } else {
        sweep();
        const expected = ids.map((id) => (expiries.get(id) ?? 0) > now);
        hits += expected.filter(Boolean).length;
        expect(store.seen(ids)).toEqual(expected);
      }
    }
    // Both answers were asked for many times.
    expect(hits).toBeGreaterThan(1_000);
  });

  it('keeps lookups short when many UUIDs come and go', () => {
    let now = 0;
    const store = createMemoryDedupStore({ maxEvents: 1_000, now: () => now });
    for (let n = 0; n < 50_000; n++) {
      now++;
      store.remember([uuid(n)], 100_000);
    }
    const recent = Array.from({ length: 1_000 }, (_, i) => uuid(49_000 + i));
    expect((store.seen(recent) as boolean[]).every(Boolean)).toBe(true);
    expect(store.seen([uuid(48_999)])).toEqual([false]);
  });
});
