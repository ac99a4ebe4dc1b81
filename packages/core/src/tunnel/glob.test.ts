import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob, compileGlobList, foldCase, type GlobWork } from './glob.js';

/** A reference matcher, for small inputs only: the glob as a regular expression (which may backtrack). */
function reference(pattern: string, subject: string): boolean {
  if (subject.length === 0) return false;
  const source = foldCase(pattern)
    .split('*')
    .map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[\\s\\S]*');
  return new RegExp(`^${source}$`).test(foldCase(subject));
}

describe('compileGlob', () => {
  it.each([
    // Relay's release filter cases (relay-filter releases.rs)
    ['1.2.3', '1.2.3', true],
    ['1.2.*', '1.2.3', true],
    ['1.*', '1.2.3', true],
    ['*', '1.2.3', true],
    ['1.3.*', '1.2.3', false],
    ['3.*', '1.2.3', false],
    ['1.2.4', '1.2.3', false],
    // Relay's error-message cases (relay-filter error_messages.rs), case-insensitive
    ['filteredexception*', 'FilteredException: This is a filtered exception.', true],
    ['*this is a filtered exception.', 'This is a filtered exception.', true],
    ['this is', 'This is a filtered exception.', false],
    ['ChunkLoadError: Loading chunk *', 'ChunkLoadError: Loading chunk 552 failed.', true],
    [
      '*Uncaught *: ChunkLoadError: Loading chunk *',
      'Error: Uncaught (in promise): ChunkLoadError: Loading chunk 175 failed.',
      true,
    ],
    // stars at both ends, several pieces, pieces that overlap the ends
    [
      '*ResizeObserver loop*',
      'ResizeObserver loop completed with undelivered notifications.',
      true,
    ],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['ab*ba', 'aba', false],
    ['ab*ba', 'abba', true],
    ['*aa*aa*', 'aaa', false],
    ['*aa*aa*', 'aaaa', true],
    ['**', 'x', true],
    // other glob syntax is literal here
    ['what?', 'what?', true],
    ['what?', 'whats', false],
    ['[abc]', 'a', false],
    // Unicode case
    ['ÉCHEC*', 'échec de paiement', true],
  ])('%j against %j: %s', (pattern, subject, expected) => {
    expect(compileGlob(pattern, 'p').matches(subject)).toBe(expected);
    expect(reference(pattern, subject)).toBe(expected);
  });

  it('never matches an empty string, as Relay does not', () => {
    expect(compileGlob('*', 'p').matches('')).toBe(false);
    expect(compileGlobList(['*'], 'p').matchesAny('')).toBe(false);
  });

  it('refuses an empty pattern or one that is not a string, naming where it is', () => {
    expect(() => compileGlob('', 'eventFilters.releases[2]')).toThrow(
      /^eventFilters\.releases\[2\]: must be a non-empty glob pattern/,
    );
    expect(() => compileGlob(3, 'x')).toThrow(TypeError);
    expect(() => compileGlobList('1.*', 'eventFilters.releases')).toThrow(
      /eventFilters\.releases: must be a list/,
    );
  });

  it('agrees with the reference matcher on generated patterns and strings', () => {
    const alphabet = fc.constantFrom('a', 'b', 'A', '*', ':', ' ');
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, minLength: 1, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'A', 'B', ':', ' '), maxLength: 16 }),
        (pattern, subject) => {
          expect(compileGlob(pattern, 'p').matches(subject)).toBe(reference(pattern, subject));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('glob matching cost', () => {
  // No stopwatch: the characters looked at are counted, and must grow linearly with the string (a
  // backtracking matcher looks at `*a*a*a*a*b` against a run of `a` quadratically or worse).
  const ATTACKS: Array<[string, (length: number) => string]> = [
    ['*a*a*a*a*a*a*b', (length) => 'a'.repeat(length)],
    ['*aaaaaaaab*', (length) => 'a'.repeat(length)],
    ['*ab*ab*ab*c', (length) => 'ab'.repeat(length / 2)],
    ['a*a*a*a*a*a*a*a*', (length) => `${'b'.repeat(length - 1)}a`],
    ['*x', (length) => 'x'.repeat(length)],
  ];

  it.each(ATTACKS)('%j looks at each character a bounded number of times', (pattern, attack) => {
    const glob = compileGlob(pattern, 'p');
    const costs = [16_384, 65_536, 262_144].map((length) => {
      const work: GlobWork = { steps: 0 };
      glob.matchesFolded(attack(length), work);
      return work.steps / length;
    });
    for (const perCharacter of costs) expect(perCharacter).toBeLessThan(4);
  });

  it('matches a 1 MiB message against 50 patterns in well under a second', () => {
    const list = compileGlobList(
      Array.from({ length: 50 }, (_, index) => `*a*a*a*a*a*a*a*${index}`),
      'p',
    );
    const started = performance.now();
    expect(list.matchesAny('a'.repeat(1_048_576))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
