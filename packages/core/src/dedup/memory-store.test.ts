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
});
