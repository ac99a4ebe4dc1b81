import { describe, expect, it } from 'vitest';
import { renderConsole } from './console.js';
import { passingResult, resultOf, sampleResult } from './sample-result.test-helper.js';

const ESC = '\u001b';

describe('renderConsole', () => {
  const plain = renderConsole(sampleResult(), { color: false });
  const lines = plain.split('\n');

  it('prints the relay × group matrix', () => {
    const header = lines.find((line) => line.startsWith('relay'));
    expect(header?.split(/\s+/)).toEqual(['relay', 'ORIGIN', 'CORS', 'RATE', 'BODY']);
    const express = lines.find((line) => line.startsWith('express ') && line.includes('✗'));
    expect(express?.split(/\s{2,}/)).toEqual(['express', '✗ 1/2', '✓ 1', '! 1', '– 1']);
    const fastify = lines.find((line) => line.startsWith('fastify ') && line.includes('✓'));
    expect(fastify?.split(/\s{2,}/)).toEqual(['fastify', '✓ 2', '✓ 1', '✓ 1', '– 1']);
  });

  it('prints a totals line per relay', () => {
    expect(lines).toContainEqual(
      expect.stringMatching(/^express\s+2 passed, 1 failed, 1 warned, 1 skipped$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^fastify\s+4 passed, 0 failed, 1 skipped$/),
    );
  });

  it('lists each failure with its relay, id, requirements and messages, control characters made harmless', () => {
    const failures = plain.slice(plain.indexOf('Failures'), plain.indexOf('Warnings'));
    expect(failures).toContain('express  ORIGIN/foreign  [R-ORIGIN-2, R-ORIGIN-1]');
    expect(failures).toContain('step 1: expected status 403, got 200');
    expect(failures).toContain('expected 0␛[2J');
    expect(plain).not.toContain(ESC);
    expect(plain.slice(plain.indexOf('Warnings'))).toContain('RATE/window');
  });

  it('ends with the verdict line CI reads', () => {
    expect(plain.endsWith('\n6 passed, 1 failed, 2 skipped\n')).toBe(true);
    const allPass = renderConsole(
      resultOf(passingResult().cases.filter((c) => c.outcome !== 'skipped')),
      { color: false },
    );
    expect(allPass.trimEnd().split('\n').at(-1)).toBe('7 passed, 0 failed');
  });

  it('colours cells when asked, but never the verdict line', () => {
    const coloured = renderConsole(sampleResult(), { color: true });
    expect(coloured).toContain(`${ESC}[31m✗ 1/2`);
    expect(coloured).toContain(`${ESC}[33m! 1`);
    expect(coloured).toContain(`${ESC}[32m✓ 2`);
    expect(coloured.endsWith('\n6 passed, 1 failed, 2 skipped\n')).toBe(true);
  });
});
