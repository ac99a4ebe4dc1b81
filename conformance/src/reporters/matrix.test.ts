import { describe, expect, it } from 'vitest';
import { buildMatrix, cellText } from './matrix.js';
import { resultOf, sampleResult } from './sample-result.test-helper.js';

describe('buildMatrix', () => {
  it('counts every case in its relay row and group column, in declared order', () => {
    const matrix = buildMatrix(sampleResult());
    expect(matrix.groups).toEqual(['ORIGIN', 'CORS', 'RATE', 'BODY']);
    expect(matrix.rows.map((row) => row.relay)).toEqual(['express', 'fastify']);
    const [express, fastify] = matrix.rows;
    expect(express?.cells[0]).toEqual({ passed: 1, failed: 1, warned: 0, skipped: 0 });
    expect(express?.cells[2]).toEqual({ passed: 0, failed: 0, warned: 1, skipped: 0 });
    expect(express?.totals).toEqual({ passed: 2, failed: 1, warned: 1, skipped: 1 });
    expect(fastify?.totals).toEqual({ passed: 4, failed: 0, warned: 0, skipped: 1 });
  });

  it('appends relays and groups that only the cases name, so no case is dropped', () => {
    const base = sampleResult();
    const stray = { ...base.cases[0]!, relay: 'hono', group: 'LOGS' };
    const matrix = buildMatrix(resultOf([...base.cases, stray], base.relays));
    expect(matrix.groups.at(-1)).toBe('LOGS');
    expect(matrix.rows.at(-1)?.relay).toBe('hono');
    expect(matrix.rows.at(-1)?.cells.at(-1)).toEqual({
      passed: 1,
      failed: 0,
      warned: 0,
      skipped: 0,
    });
  });

  it('labels a cell by its worst outcome', () => {
    expect(cellText({ passed: 10, failed: 2, warned: 1, skipped: 3 })).toBe('✗ 2/13');
    expect(cellText({ passed: 3, failed: 0, warned: 1, skipped: 0 })).toBe('! 1');
    expect(cellText({ passed: 12, failed: 0, warned: 0, skipped: 1 })).toBe('✓ 12');
    expect(cellText({ passed: 0, failed: 0, warned: 0, skipped: 2 })).toBe('– 2');
    expect(cellText({ passed: 0, failed: 0, warned: 0, skipped: 0 })).toBe('·');
  });
});
