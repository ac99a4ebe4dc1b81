import { describe, expect, it } from 'vitest';
import { createMemoryStore, createProbedMemoryStore } from './memory-store.js';
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
      if (decision instanceof Promise)
        throw new Error('the memory store should answer synchronously');
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
    const remembered = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1].filter(
      (i) => !s.hit(`k${i}`, 1, 60_000).allowed,
    );
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

describe('createMemoryStore: eviction', () => {
  it('evicts the least recently used client, not the first one stored', () => {
    const s = storeAt({ maxKeys: 3 });
    s.at(0);
    s.hit('a', 5, 60_000);
    s.at(10);
    s.hit('b', 5, 60_000);
    s.at(20);
    s.hit('c', 5, 60_000);
    // 'a' is the oldest stored, but used again now: 'b' is the least recently used.
    s.at(30);
    s.hit('a', 5, 60_000);
    s.at(40);
    s.hit('d', 5, 60_000);
    // Remembered clients have 2 and 1 requests counted; a forgotten one starts afresh (remaining 4).
    expect(s.hit('a', 5, 60_000).remaining).toBe(2);
    expect(s.hit('c', 5, 60_000).remaining).toBe(3);
    expect(s.hit('d', 5, 60_000).remaining).toBe(3);
    expect(s.hit('b', 5, 60_000).remaining).toBe(4);
  });

  it('evicts refused clients last: a flood of new addresses frees no bucket that is being refused', () => {
    const s = storeAt({ maxKeys: 10 });
    s.at(0);
    // The attacker's own address and a victim of another attacker, both at their limit and refused.
    for (const key of ['attacker', 'limited']) {
      s.hit(key, 2, 60_000);
      s.hit(key, 2, 60_000);
      expect(s.hit(key, 2, 60_000).allowed).toBe(false);
    }
    // Then 1000 new addresses, each counted once: far more than maxKeys.
    for (let i = 0; i < 1000; i++) {
      s.at(1 + i);
      expect(s.hit(`flood-${i}`, 2, 60_000).allowed).toBe(true);
    }
    s.at(2000);
    expect(s.hit('attacker', 2, 60_000)).toEqual({ allowed: false, remaining: 0, resetMs: 58_000 });
    expect(s.hit('limited', 2, 60_000)).toEqual({ allowed: false, remaining: 0, resetMs: 58_000 });
    // The flood itself was evicted least recently used first: the newest 8 are still counted.
    expect(s.hit('flood-999', 2, 60_000).allowed).toBe(true);
    expect(s.hit('flood-999', 2, 60_000).allowed).toBe(false);
  });

  it('a client that has used its last slot is protected like a refused one', () => {
    const s = storeAt({ maxKeys: 3 });
    s.at(0);
    s.hit('full', 1, 60_000);
    for (let i = 0; i < 50; i++) s.hit(`new-${i}`, 5, 60_000);
    expect(s.hit('full', 1, 60_000).allowed).toBe(false);
  });

  it('a client refused before but free to send again is evicted before clients used more recently', () => {
    const s = storeAt({ maxKeys: 3 });
    s.at(0);
    s.hit('was-limited', 2, 1000);
    s.at(500);
    s.hit('was-limited', 2, 1000);
    s.at(600);
    expect(s.hit('was-limited', 2, 1000).allowed).toBe(false);
    s.at(1100);
    s.hit('b', 5, 60_000);
    s.at(1150);
    s.hit('c', 5, 60_000);
    // At 1200 the request from 0 has left 'was-limited''s window (the one from 500 has not): it may send,
    // and it was last seen before 'b' and 'c', so it makes room for 'd'.
    s.at(1200);
    s.hit('d', 5, 60_000);
    expect(s.hit('b', 5, 60_000).remaining).toBe(3);
    expect(s.hit('c', 5, 60_000).remaining).toBe(3);
    expect(s.hit('was-limited', 2, 1000)).toEqual({ allowed: true, remaining: 1, resetMs: 1000 });
  });

  it('forgets clients whose window has emptied a few per call, without waiting to be full', () => {
    let time = 0;
    const { store, probe } = createProbedMemoryStore({ now: () => time });
    for (let i = 0; i < 100; i++) store.hit(`idle-${i}`, 5, 1000);
    expect(probe.size()).toBe(100);
    time = 5000;
    for (let i = 0; i < 60; i++) store.hit('active', 5, 60_000);
    expect(probe.size()).toBe(1);
  });

  it('when every client is refused, the least recently refused one makes room', () => {
    const s = storeAt({ maxKeys: 2 });
    s.at(0);
    for (const key of ['x', 'y']) {
      s.hit(key, 1, 60_000);
      s.hit(key, 1, 60_000);
    }
    s.at(10);
    s.hit('x', 1, 60_000);
    s.hit('z', 1, 60_000);
    expect(s.hit('x', 1, 60_000).allowed).toBe(false);
    expect(s.hit('z', 1, 60_000).allowed).toBe(false);
    expect(s.hit('y', 1, 60_000).allowed).toBe(true);
  });

  it('keeps limit and window per key: a shorter window on one key does not shorten another', () => {
    const s = storeAt();
    s.at(0);
    s.hit('long', 1, 60_000);
    s.hit('short', 1, 1000);
    s.at(30_000);
    expect(s.hit('short', 1, 1000).allowed).toBe(true);
    expect(s.hit('long', 1, 60_000)).toEqual({ allowed: false, remaining: 0, resetMs: 30_000 });
  });
});

describe('createMemoryStore: every call is O(1), whatever the store holds (counted, not timed)', () => {
  /**
   * Counts, during `run`, every Map operation the code under test makes and every step of every Map
   * iterator (for…of over a Map included): a scan over the clients shows up as one step per client.
   */
  function countMapWork(run: () => void): number {
    const proto = Map.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    const iteratorProto = Object.getPrototypeOf(new Map().keys()) as Record<
      string,
      (...args: unknown[]) => unknown
    >;
    const patched: [
      Record<string, (...args: unknown[]) => unknown>,
      string,
      (...args: unknown[]) => unknown,
    ][] = [];
    let count = 0;
    for (const [target, name] of [
      [proto, 'get'],
      [proto, 'set'],
      [proto, 'has'],
      [proto, 'delete'],
      [proto, 'forEach'],
      [iteratorProto, 'next'],
    ] as const) {
      const original = target[name] as (...args: unknown[]) => unknown;
      patched.push([target, name, original]);
      target[name] = function (this: unknown, ...args: unknown[]) {
        count++;
        return original.apply(this, args);
      };
    }
    try {
      run();
    } finally {
      for (const [target, name, original] of patched) target[name] = original;
    }
    return count;
  }

  it('a new client costs a few Map operations with 20 000 clients stored, as with 10', () => {
    const perNewClient = (clients: number): number => {
      const s = storeAt({ maxKeys: clients });
      for (let i = 0; i < clients; i++) s.hit(`known-${i}`, 60, 60_000);
      const calls = 2000;
      return (
        countMapWork(() => {
          for (let i = 0; i < calls; i++) s.hit(`new-${i}`, 60, 60_000);
        }) / calls
      );
    };
    const small = perNewClient(10);
    const large = perNewClient(20_000);
    expect(small).toBeLessThanOrEqual(4);
    expect(large).toBeLessThanOrEqual(small);
  });

  it('stays O(1) across every path: known, refused, expiring, evicted and changing-limit clients', () => {
    const s = storeAt({ maxKeys: 5000 });
    let time = 0;
    let work = 0;
    let calls = 0;
    let refused = 0;
    // A deterministic mix (mulberry32): a pool of clients larger than maxKeys (evictions), some at their
    // limit (refused), time jumping past the window now and then (mass expiry), the limit changing for some.
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    for (let round = 0; round < 40; round++) {
      time += next(4) === 0 ? 70_000 : next(500);
      s.at(time);
      work += countMapWork(() => {
        for (let i = 0; i < 1000; i++) {
          const key = `c${next(8000)}`;
          if (!s.hit(key, key.endsWith('7') ? 1 + next(3) : 3, 60_000).allowed) refused++;
          calls++;
        }
      });
    }
    // The mix did reach the refusal path, and (8000 keys, 5000 kept) the eviction path.
    expect(refused).toBeGreaterThan(1000);
    expect(work / calls).toBeLessThanOrEqual(4);
  });

  it('counts its own work (clients looked at, timestamps dropped or moved, Map operations): a bounded number of steps per call', () => {
    const stepsPerCall = (
      known: number,
      run: (hit: (key: string, limit: number) => boolean, at: (ms: number) => void) => number,
    ): number => {
      let time = 0;
      const { store, probe } = createProbedMemoryStore({
        maxKeys: Math.max(known, 10),
        now: () => time,
      });
      for (let i = 0; i < known; i++) store.hit(`known-${i}`, 60, 60_000);
      probe.steps = 0;
      const calls = run(
        (key, limit) => (store.hit(key, limit, 60_000) as RateLimitDecision).allowed,
        (ms) => {
          time = ms;
        },
      );
      return probe.steps / calls;
    };
    // New clients into a full store: as cheap with 20 000 clients held as with 10.
    const newClients = (hit: (key: string, limit: number) => boolean): number => {
      for (let i = 0; i < 5000; i++) hit(`new-${i}`, 60);
      return 5000;
    };
    const small = stepsPerCall(10, newClients);
    const large = stepsPerCall(20_000, newClients);
    expect(large).toBeLessThanOrEqual(10);
    expect(large).toBeLessThanOrEqual(small + 1);
    // One client with a large limit over many windows: its timestamps are dropped and compacted in O(1) amortised.
    const longLog = stepsPerCall(0, (hit, at) => {
      for (let i = 0; i < 50_000; i++) {
        at(i * 7);
        hit('busy', 10_000);
      }
      return 50_000;
    });
    expect(longLog).toBeLessThanOrEqual(10);
    // Clients at their limit hammering while a flood of new ones evicts the others.
    const mixed = stepsPerCall(20_000, (hit, at) => {
      let calls = 0;
      for (let round = 0; round < 20; round++) {
        at(round * 10_000);
        for (let i = 0; i < 500; i++, calls++) hit(`limited-${i % 50}`, 2);
        for (let i = 0; i < 500; i++, calls++) hit(`flood-${round}-${i}`, 2);
      }
      return calls;
    });
    expect(mixed).toBeLessThanOrEqual(10);
  });
});
