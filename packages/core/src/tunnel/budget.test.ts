import { describe, expect, it } from 'vitest';
import { createInFlightBudget } from './budget.js';

describe('createInFlightBudget', () => {
  it('holds what a lease grows to, and gives it all back on release', () => {
    const budget = createInFlightBudget({ maxBytes: 100, maxBytesPerClient: 60 });
    const lease = budget.lease('a');
    expect(budget.open()).toBe(1);
    expect(lease.grow(10)).toBe('held');
    expect(lease.grow(25)).toBe('held');
    expect(lease.grow(5)).toBe('held'); // a smaller total changes nothing
    expect([lease.bytes, budget.held(), budget.heldBy('a')]).toEqual([25, 25, 25]);
    lease.release();
    expect([lease.bytes, budget.held(), budget.heldBy('a'), budget.open()]).toEqual([0, 0, 0, 0]);
  });

  it('refuses a growth that would pass the budget, taking nothing', () => {
    const budget = createInFlightBudget({ maxBytes: 100, maxBytesPerClient: 100 });
    const first = budget.lease('a');
    const second = budget.lease('b');
    expect(first.grow(70)).toBe('held');
    expect(second.grow(20)).toBe('held');
    expect(second.grow(31)).toBe('over-budget');
    expect([second.bytes, budget.held(), budget.heldBy('b')]).toEqual([20, 90, 20]);
    expect(second.grow(30)).toBe('held'); // exactly the budget fits
    expect(budget.held()).toBe(100);
    expect(budget.lease('c').grow(1)).toBe('over-budget');
    first.release();
    expect(budget.lease('c').grow(70)).toBe('held');
  });

  it("refuses a growth that would pass the client's share, while other clients still get bytes", () => {
    const budget = createInFlightBudget({ maxBytes: 100, maxBytesPerClient: 40 });
    const one = budget.lease('a');
    const two = budget.lease('a');
    expect(one.grow(30)).toBe('held');
    expect(two.grow(11)).toBe('over-share');
    expect(two.grow(10)).toBe('held');
    expect(budget.heldBy('a')).toBe(40);
    const other = budget.lease('b');
    expect(other.grow(40)).toBe('held');
    expect(budget.held()).toBe(80);
    // The budget is checked first: with 20 bytes left, 21 more for a client with room is over the budget.
    expect(budget.lease('c').grow(21)).toBe('over-budget');
    one.release();
    expect(two.grow(40)).toBe('held');
  });

  it('forgets a client once its leases hold nothing, so the map does not grow with every address seen', () => {
    const budget = createInFlightBudget({ maxBytes: 1000, maxBytesPerClient: 1000 });
    for (let i = 0; i < 100; i++) {
      const lease = budget.lease(`198.51.100.${i}`);
      lease.grow(5);
      lease.release();
    }
    expect(budget.held()).toBe(0);
    expect(budget.open()).toBe(0);
    expect(budget.heldBy('198.51.100.7')).toBe(0);
  });

  it('counts forced bytes (copies of an accepted envelope) against both limits without refusing them', () => {
    const budget = createInFlightBudget({ maxBytes: 100, maxBytesPerClient: 50 });
    const lease = budget.lease('a');
    expect(lease.grow(50)).toBe('held');
    lease.force(60);
    expect([lease.bytes, budget.held(), budget.heldBy('a')]).toEqual([110, 110, 110]);
    expect(budget.lease('b').grow(1)).toBe('over-budget');
    expect(lease.grow(111)).toBe('over-budget');
    lease.release();
    expect(budget.held()).toBe(0);
  });

  it('releases once: a second release does nothing, and a released lease cannot take bytes again', () => {
    const budget = createInFlightBudget({ maxBytes: 100, maxBytesPerClient: 100 });
    const lease = budget.lease('a');
    const other = budget.lease('a');
    lease.grow(30);
    other.grow(20);
    lease.release();
    lease.release();
    expect([budget.held(), budget.heldBy('a'), budget.open()]).toEqual([20, 20, 1]);
    expect(() => lease.grow(10)).toThrow(/released/);
    expect(() => lease.force(10)).toThrow(/released/);
    expect(budget.held()).toBe(20);
  });
});
