import { describe, expect, it } from 'vitest';
import { createDedupGuard } from './guard.js';
import { createMemoryDedupStore } from './memory-store.js';
import type { DedupStore } from './store.js';

const e = (id: string) => ({ event_id: id });

describe('createDedupGuard', () => {
  it('forwards each id once per batch, and not again once delivered', async () => {
    const guard = createDedupGuard(createMemoryDedupStore(), 60_000, undefined);
    const first = await guard.split([e('a'), e('b'), e('a')]);
    expect(first.forward).toEqual([e('a'), e('b')]);
    await first.settle(true);
    const second = await guard.split([e('a'), e('c')]);
    expect(second.forward).toEqual([e('c')]);
    await second.settle(true);
  });

  it('forgets what was not delivered (R-DELIVER-8)', async () => {
    const guard = createDedupGuard(createMemoryDedupStore(), 60_000, undefined);
    const first = await guard.split([e('a')]);
    await first.settle(false);
    expect((await guard.split([e('a')])).forward).toEqual([e('a')]);
  });

  it('makes a retry that overlaps an attempt in flight wait for its outcome', async () => {
    const guard = createDedupGuard(createMemoryDedupStore(), 60_000, undefined);
    const first = await guard.split([e('a'), e('b')]);
    let secondDone = false;
    const second = Promise.resolve(guard.split([e('b'), e('c')])).then((split) => {
      secondDone = true;
      return split;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(secondDone).toBe(false);
    await first.settle(true);
    expect((await second).forward).toEqual([e('c')]);
  });

  it('lets the retry forward when the attempt in flight failed', async () => {
    const guard = createDedupGuard(createMemoryDedupStore(), 60_000, undefined);
    const first = await guard.split([e('a')]);
    const second = guard.split([e('a')]);
    await first.settle(false);
    expect((await second).forward).toEqual([e('a')]);
  });

  it('treats a failing store as remembering nothing, and says so', async () => {
    const warnings: string[] = [];
    const broken: DedupStore = {
      seen: () => Promise.reject(new Error('redis down')),
      remember: () => Promise.reject(new Error('redis down')),
    };
    const guard = createDedupGuard(broken, 60_000, {
      warn: (message) => warnings.push(message),
      error: () => undefined,
    });
    const split = await guard.split([e('a')]);
    expect(split.forward).toEqual([e('a')]);
    await split.settle(true);
    expect(warnings).toEqual([
      'postern: the dedup store failed; events are forwarded without the check',
      'postern: the dedup store failed to remember delivered events',
    ]);
  });

  it('remembers for the window it was given', async () => {
    const remembered: Array<[readonly string[], number]> = [];
    const store: DedupStore = {
      seen: (ids) => ids.map(() => false),
      remember: (ids, windowMs) => void remembered.push([ids, windowMs]),
    };
    const guard = createDedupGuard(store, 1234, undefined);
    await (await guard.split([e('a'), e('b')])).settle(true);
    expect(remembered).toEqual([[['a', 'b'], 1234]]);
  });
});
