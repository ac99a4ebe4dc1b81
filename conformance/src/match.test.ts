import { describe, expect, it } from 'vitest';
import { matchValue } from './match.js';
import type { JsonValue } from './types.js';

function problems(expected: JsonValue, actual: unknown): string[] {
  const found: string[] = [];
  matchValue(expected, actual, 'body', found);
  return found;
}

describe('matchValue', () => {
  it('matches objects as subsets and arrays item by item', () => {
    expect(problems({ a: 1 }, { a: 1, b: 2 })).toEqual([]);
    expect(problems([1, 2], [1, 2, 3])).toEqual(['body: expected 2 item(s), got 3: [1,2,3]']);
    expect(problems({ a: { b: 'x' } }, { a: { b: 'y' } })).toEqual([
      'body.a.b: expected "x", got "y"',
    ]);
  });

  it('names a missing key, and takes $absent for one that must not be there', () => {
    expect(problems({ a: 1 }, {})).toEqual(['body.a: missing, expected 1']);
    expect(problems({ a: { $absent: true } }, {})).toEqual([]);
    expect(problems({ a: { $absent: true } }, { a: null })).toEqual([
      'body.a: must be absent, got null',
    ]);
  });

  it('takes any of several expectations with $anyOf, absence included', () => {
    const traceId: JsonValue = { trace_id: { $anyOf: [{ $absent: true }, null] } };
    expect(problems(traceId, {})).toEqual([]);
    expect(problems(traceId, { trace_id: null })).toEqual([]);
    expect(problems(traceId, { trace_id: 'generated' })).toEqual([
      'body.trace_id: expected any of [{"$absent":true},null], got "generated"',
    ]);
    expect(problems({ $anyOf: [{ $type: 'string' }, { $gte: 3 }] }, 4)).toEqual([]);
  });
});
