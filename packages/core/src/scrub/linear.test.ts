import { describe, expect, it } from 'vitest';
import { BUILTINS, SCAN_LIMITS, type BuiltinName } from './builtins.js';
import { joinPieces, scrubText } from './redact.js';
import type { ValueRule } from './rules.js';

// The review's worst cases: 64 KiB strings that took 2 s each to scrub (tripling per doubling), because
// @urlauth's regex scanned to the end of a run from each of its word boundaries and @iban's validator
// tried every prefix of a candidate as long as the string.
//
// No stopwatch: the work is counted. A scrub's cost is that of its regex searches plus that of its
// validators. redos.test.ts shows with recheck that each built-in regex takes time linear in the text one
// search is given, so here we count (1) the characters every search is given and (2) the candidates every
// validator is given (each tries at most every prefix of its candidate). Both must grow linearly with the
// string, and neither may depend on its length per search or per candidate. Before the fix one search was
// given the whole string and @iban's validator a 64 KiB candidate.

const KIB = 1024;

/** Attack strings per rule, from the review and from recheck's attack patterns. */
const ATTACKS: Array<[BuiltinName, string, (length: number) => string]> = [
  [
    '@iban',
    'a run of four-character groups',
    (length) => `AB12${' AAAA'.repeat(Math.floor((length - 4) / 5))}`,
  ],
  [
    '@iban',
    'repeated country and check digits',
    (length) => 'AB12 '.repeat(Math.floor(length / 5)),
  ],
  ['@urlauth', 'a run of word boundaries', (length) => 'a.'.repeat(length / 2)],
  ['@urlauth', 'repeated // with a colon', (length) => '//a:'.repeat(length / 4)],
  [
    '@pemkey',
    'spaces inside a key body',
    (length) => `-----BEGIN PRIVATE KEY-----\nx${' '.repeat(length - 30)}x`,
  ],
  ['@email', 'a domain of one-letter labels', (length) => `a@${'a.'.repeat((length - 2) / 2)}`],
  [
    '@userpath',
    'a Windows name of words with no separator after',
    (length) => `C:\\Users\\a${' a'.repeat((length - 10) / 2)}`,
  ],
];

interface Work {
  /** Characters regex searches went through: from where each starts to the end of its match, or of its input. */
  searched: number;
  /** The most characters one search was given. */
  longestSearch: number;
  /** Characters given to validators, and the longest candidate. */
  validated: number;
  longestCandidate: number;
  result: string;
}

/** Scrubs `text` with copies of a built-in's patterns that count what they are given. */
function measure(name: BuiltinName, text: string): Work {
  const work: Work = {
    searched: 0,
    longestSearch: 0,
    validated: 0,
    longestCandidate: 0,
    result: '',
  };
  class CountingRegExp extends RegExp {
    override exec(input: string): RegExpExecArray | null {
      const from = this.lastIndex;
      const match = super.exec(input);
      work.searched += (match === null ? input.length : match.index + match[0].length) - from;
      work.longestSearch = Math.max(work.longestSearch, input.length);
      return match;
    }
  }
  const rule: ValueRule = {
    name,
    method: 'replace',
    text: BUILTINS[name].text,
    patterns: BUILTINS[name].patterns.map((pattern) => {
      const accept = 'accept' in pattern ? pattern.accept : undefined;
      return {
        regex: new CountingRegExp(pattern.regex.source, pattern.regex.flags),
        accept:
          accept &&
          ((candidate: string) => {
            work.validated += candidate.length;
            work.longestCandidate = Math.max(work.longestCandidate, candidate.length);
            return accept(candidate);
          }),
      };
    }),
  };
  const pieces = scrubText(text, [rule]);
  work.result = pieces === undefined || pieces === null ? text : joinPieces(pieces);
  return work;
}

describe('the worst cases found in review are scrubbed with bounded work', () => {
  it.each(ATTACKS)('%s: %s', (name, _label, attack) => {
    const small = measure(name, attack(64 * KIB));
    const large = measure(name, attack(128 * KIB));
    for (const work of [small, large]) {
      // One search never sees more than a window, however long the string.
      expect(work.longestSearch).toBeLessThanOrEqual(SCAN_LIMITS.behind + SCAN_LIMITS.window);
      // A validator's candidate is bounded by its regex (an IBAN has at most 34 characters).
      expect(work.longestCandidate).toBeLessThanOrEqual(44);
    }
    // Linear: twice the text, about twice the work (quadratic would be four times; windows add a little).
    expect(large.searched).toBeLessThanOrEqual(2.25 * small.searched);
    expect(large.validated).toBeLessThanOrEqual(2.25 * small.validated);
    // And a small multiple of the text: each character is gone through by at most a few searches.
    expect(small.searched).toBeLessThanOrEqual(3 * 64 * KIB);
  });

  it('the attack strings are left alone, and a real IBAN or URL after them is still found', () => {
    expect(measure('@iban', ATTACKS[0]?.[2](64 * KIB) as string).result).toBe(
      ATTACKS[0]?.[2](64 * KIB),
    );
    const iban = measure('@iban', `${'AB12 '.repeat(13_000)}pay DE89 3704 0044 0532 0130 00 now`);
    expect(iban.result.endsWith('pay [iban] now')).toBe(true);
    const url = measure('@urlauth', `${'a.'.repeat(32 * KIB)} https://bob:pw@example.com/`);
    expect(url.result.endsWith(' https://[auth]@example.com/')).toBe(true);
  });
});
