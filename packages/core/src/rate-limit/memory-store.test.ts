import { describe, expect, it } from 'vitest';
import { createMemoryStore } from './memory-store.js';
import type { RateLimitDecision } from './store.js';

/** A store on a clock the test moves by hand. */
function storeAt(options: { maxKeys?: number } = {}) {
  let time = 0;
  const store = createMemoryStore({ ...options, now: () => time });
  return {
    at(ms: number): void {
      time = ms;
    },
    hit(key: string, limit: number, windowMs: number): RateLimitDecision {
      // The memory store answers synchronously; a Promise here would be a change of contract for this store.
      const decision = store.hit(key, limit, windowMs);
      if (decision instanceof Promise) throw new Error('the memory store should answer synchronously');
      return decision;
    },
  };
}

describe('createMemoryStore', () => {
  it('counts down remaining and refuses once the limit is reached', () => {
    const s = storeAt();
    s.at(1000);
    expect(s.hit('a', 3, 10_000)).toEqual({ allowed: true, remaining: 2, resetMs: 10_000 });
    s.at(1400);
    // resetMs is when the oldest counted request leaves: 1000 + 10000 - 1400.
    expect(s.hit('a', 3, 10_000)).toEqual({ allowed: true, remaining: 1, resetMs: 9600 });
    s.at(2000);
    expect(s.hit('a', 3, 10_000)).toEqual({ allowed: true, remaining: 0, resetMs: 9000 });
    s.at(2500);
    expect(s.hit('a', 3, 10_000)).toEqual({ allowed: false, remaining: 0, resetMs: 8500 });
  });

  it('keeps clients apart', () => {
    const s = storeAt();
    expect(s.hit('a', 1, 1000).allowed).toBe(true);
    expect(s.hit('a', 1, 1000).allowed).toBe(false);
    expect(s.hit('b', 1, 1000)).toEqual({ allowed: true, remaining: 0, resetMs: 1000 });
  });

  it('is a sliding window: a slot frees exactly when the oldest request is windowMs old, one at a time', () => {
    const s = storeAt();
    s.at(0);
    s.hit('a', 2, 1000);
    s.at(600);
    s.hit('a', 2, 1000);
    // A fixed window would reset at 1000 for both; here only the request from t=0 leaves then.
    s.at(999);
    expect(s.hit('a', 2, 1000)).toEqual({ allowed: false, remaining: 0, resetMs: 1 });
    s.at(1000);
    expect(s.hit('a', 2, 1000)).toEqual({ allowed: true, remaining: 0, resetMs: 600 });
    s.at(1599);
    expect(s.hit('a', 2, 1000)).toEqual({ allowed: false, remaining: 0, resetMs: 1 });
    s.at(1600);
    expect(s.hit('a', 2, 1000)).toEqual({ allowed: true, remaining: 0, resetMs: 400 });
  });

  it('frees every slot after a full idle window', () => {
    const s = storeAt();
    for (let i = 0; i < 3; i++) s.hit('a', 3, 1000);
    s.at(5000);
    expect(s.hit('a', 3, 1000)).toEqual({ allowed: true, remaining: 2, resetMs: 1000 });
  });

  it('does not count refused requests: a client hammering while limited is let in as soon as a slot frees', () => {
    const s = storeAt();
    s.at(0);
    s.hit('a', 2, 1000);
    s.at(100);
    s.hit('a', 2, 1000);
    for (let t = 200; t < 1000; t += 50) {
      s.at(t);
      expect(s.hit('a', 2, 1000).allowed).toBe(false);
    }
    s.at(1000);
    expect(s.hit('a', 2, 1000)).toEqual({ allowed: true, remaining: 0, resetMs: 100 });
    s.at(1100);
    expect(s.hit('a', 2, 1000)).toEqual({ allowed: true, remaining: 0, resetMs: 900 });
  });

  it('keeps at most maxKeys clients: the most recent are remembered, older ones forgotten', () => {
    const s = storeAt({ maxKeys: 3 });
    for (let i = 1; i <= 10; i++) s.hit(`k${i}`, 1, 60_000);
    // With limit 1, a remembered client is refused and a forgotten one is let in again. Probing from the
    // newest down, each let-in client is stored anew and pushes out an older one, which was already probed.
    const remembered = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1].filter((i) => !s.hit(`k${i}`, 1, 60_000).allowed);
    expect(remembered).toEqual([10, 9, 8]);
  });

  it('forgets idle clients before active ones, even when the active one is older', () => {
    const s = storeAt({ maxKeys: 2 });
    s.at(0);
    s.hit('active', 2, 1000);
    s.at(100);
    s.hit('idle', 2, 1000);
    s.at(900);
    s.hit('active', 2, 1000);
    // At 1200 'idle' has nothing left in its window; 'active' (stored first) still has its request from 900.
    s.at(1200);
    s.hit('new', 2, 1000);
    // Had 'active' been forgotten it would start afresh: remaining 1, resetMs 1000.
    expect(s.hit('active', 2, 1000)).toEqual({ allowed: true, remaining: 0, resetMs: 700 });
    expect(s.hit('new', 2, 1000)).toEqual({ allowed: true, remaining: 0, resetMs: 1000 });
  });

  it('forgets the longest-known client when none is idle', () => {
    const s = storeAt({ maxKeys: 2 });
    s.at(0);
    s.hit('first', 1, 1000);
    s.at(10);
    s.hit('second', 1, 1000);
    s.at(20);
    s.hit('third', 1, 1000);
    // 'second' and 'third' still count; 'first' was dropped to make room.
    expect(s.hit('third', 1, 1000).allowed).toBe(false);
    expect(s.hit('second', 1, 1000).allowed).toBe(false);
    expect(s.hit('first', 1, 1000)).toEqual({ allowed: true, remaining: 0, resetMs: 1000 });
  });
});
