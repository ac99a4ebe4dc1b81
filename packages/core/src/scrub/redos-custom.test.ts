import fc from 'fast-check';
import { check } from 'recheck';
import { describe, expect, it } from 'vitest';
import type { ScrubOptions } from './options.js';
import { RECHECK_GUARD_MS, RECHECK_PARAMS } from './recheck.testkit.js';
import { superQuadratic } from './redos.js';
import { compileScrubber } from './scrubber.js';

function compileError(options: ScrubOptions): string {
  try {
    compileScrubber(options);
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return (error as Error).message;
  }
  throw new Error('compiled without an error');
}

/** Patterns that take exponential time, or the cube of the text: refused. */
const REFUSED: Array<[string, string]> = [
  ['(a+)+$', ''],
  ['(a*)*b', ''],
  ['(a|a)*b', ''],
  ['(\\w|\\d)+$', ''],
  ['(\\w+\\s?)+x', ''],
  ['(?:[a-z]+\\.?)+@', ''],
  ['(a?){25}a{25}', ''],
  ['(?:x+x+)+y', ''],
  ['^(([a-z])+.)+[A-Z]([a-z])+$', ''],
  ['(\\d+|\\d+-)+x', ''],
  ['(?:A|a)+b', 'i'],
  ['\\d*\\d*x', ''],
  ['.*foo.*bar', ''],
  ['\\w+\\d+x', ''],
  ['(?<word>a+)+$', ''],
  ['[\\]a]+(?:b+)+$', ''],
];

/** Linear, or quadratic at worst, which the 1 KiB window of a custom pattern bounds: accepted. */
const ACCEPTED: Array<[string, string]> = [
  ['ORD-\\d+', ''],
  ['xy(\\d+)', 'i'],
  ['token=[^&\\s]+', ''],
  ['(?:\\d{4}[- ]?){3}\\d{4}', ''],
  ['(?:[ -]?\\d){11,17}', ''],
  ['(?:[a-z]+\\.)+com', ''],
  ['(?:\\.[\\w-]+)+', ''],
  ['(?:(\\w+)\\.)+example\\.com', 'i'],
  ['(?:foo|bar)+', ''],
  ['(?:\\s|,)+', ''],
  ['\\d+x', ''],
  ['[\\s\\S]*secret', ''],
  ['\\w+\\s+\\w+x', ''],
  ['.*foo.*', ''],
  ['[a-z]+@[a-z]+\\.com', ''],
  ['😀+', 'u'],
  ['[\\p{L}--[a-z]]+', 'v'],
];

/** Safe or quadratic, refused all the same: the check is conservative (the message says how to rewrite). */
const OVER_CAUTIOUS: Array<[string, string]> = [
  ['(?:foo|far)+', ''],
  ['(a|ab)+c', ''],
  ['(.*a){12}', ''],
];

describe('custom patterns that can backtrack for minutes are refused when the rules compile', () => {
  it.each(REFUSED)('/%s/%s', (pattern, flags) => {
    const message = compileError({ rules: [{ pattern, flags }] });
    expect(message).toContain(JSON.stringify(pattern));
    expect(message).toMatch(/backtrack for minutes.*rewrite it/);
  });
  it('in sensitiveKeys too', () => {
    expect(compileError({ rules: [], sensitiveKeys: ['(a|a)*x'] })).toMatch(
      /sensitiveKeys entry "\(a\|a\)\*x" can backtrack/,
    );
  });
  it.each(ACCEPTED)('accepts /%s/%s', (pattern, flags) => {
    // sensitiveKeys are compiled with the flag i only.
    expect(() =>
      compileScrubber({
        rules: [{ pattern, flags }],
        sensitiveKeys: /[uv]/.test(flags) ? [] : [pattern],
      }),
    ).not.toThrow();
  });
});

describe('the check reads any pattern', () => {
  it('never throws on a pattern that compiles, whatever its syntax and flags', () => {
    const syntax = [
      'a',
      'b',
      '.',
      '\\d',
      '\\w',
      '\\s',
      '\\b',
      '\\1',
      '\\k<n>',
      '\\p{L}',
      '\\u0041',
      '\\x41',
      '\\cA',
      '\\/',
      '[',
      ']',
      '[^',
      '-',
      '(',
      ')',
      '(?:',
      '(?<n>',
      '(?=',
      '(?!',
      '(?<=',
      '(?<!',
      '(?i:',
      '|',
      '*',
      '+',
      '?',
      '{2}',
      '{1,3}',
      '{2,}',
      '{',
      '}',
      '^',
      '$',
      '😀',
      '\\',
    ];
    const pattern = fc
      .array(fc.constantFrom(...syntax), { maxLength: 14 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(pattern, fc.constantFrom('', 'i', 'u', 'v', 'iu', 's'), (source, flags) => {
        let compiles = true;
        try {
          new RegExp(source, flags);
        } catch {
          compiles = false;
        }
        fc.pre(compiles);
        expect(() => superQuadratic(source, flags)).not.toThrow();
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('the check agrees with recheck', () => {
  // Both directions over the corpus: what recheck finds exponential or of degree 3 and more is refused;
  // what is accepted recheck finds at most quadratic. Some quadratic or safe patterns are refused too.
  const corpus = [...REFUSED, ...ACCEPTED, ...OVER_CAUTIOUS];
  it(
    'on every pattern of the corpus',
    async () => {
      const disagreements: string[] = [];
      for (const [pattern, flags] of corpus) {
        const diagnostics = await check(pattern, flags, RECHECK_PARAMS);
        const beyondQuadratic =
          diagnostics.status === 'vulnerable' &&
          (diagnostics.complexity.type === 'exponential' || diagnostics.complexity.degree >= 3);
        const refused = superQuadratic(pattern, flags) !== undefined;
        const expected =
          REFUSED.some(([source]) => source === pattern) ||
          OVER_CAUTIOUS.some(([source]) => source === pattern);
        if (refused !== expected)
          disagreements.push(`/${pattern}/: refused ${refused}, listed ${expected}`);
        if (beyondQuadratic && !refused)
          disagreements.push(
            `/${pattern}/: recheck finds it ${diagnostics.status === 'vulnerable' ? diagnostics.complexity.summary : ''}, accepted`,
          );
        if (
          diagnostics.status === 'unknown' &&
          diagnostics.error.kind !== 'unsupported' &&
          diagnostics.error.kind !== 'invalid'
        )
          disagreements.push(`/${pattern}/: recheck ${diagnostics.error.kind}`);
      }
      expect(disagreements).toEqual([]);
    },
    RECHECK_GUARD_MS,
  );
});
