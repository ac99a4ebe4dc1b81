import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUILTINS,
  CUSTOM_SCAN_LIMITS,
  SCAN_LIMITS,
  type ScanLimits,
  type ValuePattern,
} from './builtins.js';
import { forEachMatch, hasMatch } from './redact.js';
import { compileScrubber } from './scrubber.js';

/** One search over the whole string, as before windows. */
const ONE_PASS: ScanLimits = { window: Number.POSITIVE_INFINITY, reach: 0, behind: 0 };
/** Windows small enough that the strings below span dozens; reach holds the longest token's match. */
const SMALL: ScanLimits = { window: 160, reach: 80, behind: 8 };

function ranges(text: string, pattern: ValuePattern, limits: ScanLimits): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  forEachMatch(text, { ...pattern, limits }, (start, end) => {
    found.push([start, end]);
  });
  return found;
}

const PATTERNS = Object.entries(BUILTINS).flatMap(([name, rule]) =>
  rule.patterns.map((pattern): [string, ValuePattern] => [name, pattern]),
);

// Real data and look-alikes for every rule, no match longer than SMALL.reach. Separators end every
// token for every rule (a line break, a quote, a bar between spaces), so matches do not run on.
const TOKENS = [
  'ann@example.com',
  'logo@2x.png',
  'x',
  'foo bar',
  '10.0.0.1',
  'v1.2.3.4',
  '2001:db8::ff00:42:8329',
  '::1',
  '12:30:45',
  '4111 1111 1111 1111',
  '5555-5555-5555-4444',
  '1712345678901',
  '123-45-6789',
  'DE89 3704 0044 0532 0130 00',
  'GB82WEST12345698765432',
  'AB12 AAAA',
  'https://alice:pw@example.com/x',
  '//bob@host',
  'Bearer abc123def456',
  '/Users/alice/x.js',
  'C:\\Users\\John Smith\\AppData',
  '/home/bob',
  '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
  'a.b.c',
  ' ',
];
const SEPARATORS = ['\n', ' | ', ' "', '\r\n'];
const text = fc
  .array(fc.tuple(fc.constantFrom(...TOKENS), fc.constantFrom(...SEPARATORS)), { maxLength: 80 })
  .map((parts) => parts.map(([token, separator]) => token + separator).join(''));

describe('window by window', () => {
  it('finds the same matches as one search over the whole string, for every built-in pattern', () => {
    fc.assert(
      fc.property(text, (value) => {
        for (const [, pattern] of PATTERNS)
          expect(ranges(value, pattern, SMALL)).toEqual(ranges(value, pattern, ONE_PASS));
      }),
      { numRuns: 300 },
    );
  });

  it('finds matches across window edges, with lookbehinds reading the window before', () => {
    const email = (BUILTINS['@email'].patterns as readonly ValuePattern[])[0] as ValuePattern;
    for (let offset = 100; offset < 180; offset++) {
      const value = `${'y'.repeat(offset)} ann@example.com ${'z'.repeat(200)}`;
      expect(ranges(value, email, SMALL)).toEqual([[offset + 1, offset + 16]]);
      // Where a local part starts depends on the character before it (a lookbehind), which may sit in
      // the window before; the words are short, so every match is shorter than the reach.
      const glued = `${'y '.repeat(offset >> 1)}${offset % 2 === 0 ? '' : 'y'}.ann@example.com ${'z'.repeat(200)}`;
      expect(ranges(glued, email, SMALL)).toEqual(ranges(glued, email, ONE_PASS));
      expect(ranges(glued, email, ONE_PASS)).toHaveLength(1);
    }
  });

  it('gives a lookbehind at the first character of a window the text before it', () => {
    // A decimal is not a card number only because of the "." before its digits; with no context a window
    // starting right after the "." would take them for one. Every offset puts that digit at some window's start.
    const card = (BUILTINS['@creditcard'].patterns as readonly ValuePattern[])[0] as ValuePattern;
    for (let offset = 0; offset < 200; offset++) {
      const value = `${' '.repeat(offset)}0.4111111111111111 x${' '.repeat(200)}`;
      expect(ranges(value, card, SMALL)).toEqual([]);
    }
  });

  it('scrubs a match still running at the end of a window to the end of the string', async () => {
    // A custom pattern's window is 1 KiB; its token runs past it, so where it ends is not known.
    const value = { v: `${'x'.repeat(100)} tok_${'a'.repeat(2_000)} tail` };
    await compileScrubber({ rules: [{ pattern: 'tok_[a-z]+' }] }).scrub(value);
    expect(value.v).toBe(`${'x'.repeat(100)} [Filtered]`);
    // Within a window it is found whole, however long the string.
    const short = { v: `${'x '.repeat(5_000)}tok_abc tail ${'y '.repeat(5_000)}` };
    await compileScrubber({ rules: [{ pattern: 'tok_[a-z]+' }] }).scrub(short);
    expect(short.v).toBe(`${'x '.repeat(5_000)}[Filtered] tail ${'y '.repeat(5_000)}`);
  });

  it('scrubs a private key longer than the reach, and what follows it, rather than leak its tail', async () => {
    const key = `-----BEGIN PRIVATE KEY-----\n${'MIIE'.repeat(5_000)}\n-----END PRIVATE KEY-----`;
    const value = { v: `${key}\nafter` };
    await compileScrubber({ rules: ['@pemkey'] }).scrub(value);
    expect(value.v).toBe('-----BEGIN PRIVATE KEY-----\n[pemkey]');
  });

  it('scrubs a 4096-bit key exactly, anywhere in a long string', async () => {
    const body = 'MIIJQgIBADANBgkqhkiG9w0BAQEFAASCCSwwggkoAgEAAoICAQC7\n'.repeat(62); // 3.2 KiB, like a real one
    const value = {
      v: `${'x '.repeat(20_000)}-----BEGIN PRIVATE KEY-----\n${body}-----END PRIVATE KEY----- ${'y '.repeat(20_000)}`,
    };
    await compileScrubber({ rules: ['@pemkey'] }).scrub(value);
    expect(value.v).toBe(
      `${'x '.repeat(20_000)}-----BEGIN PRIVATE KEY-----\n[pemkey]\n-----END PRIVATE KEY----- ${'y '.repeat(20_000)}`,
    );
  });

  it('has windows that hold what the built-ins and custom patterns need', () => {
    expect(SCAN_LIMITS.reach).toBeGreaterThanOrEqual(3_300); // a 4096-bit RSA key's body
    expect(SCAN_LIMITS.reach).toBeLessThan(SCAN_LIMITS.window);
    expect(CUSTOM_SCAN_LIMITS.reach).toBeLessThan(CUSTOM_SCAN_LIMITS.window);
  });
});

describe('keys window by window', () => {
  it('finds a sensitive word anywhere in a long key', async () => {
    const key = `${'x'.repeat(50_000)}password`;
    const value = { [key]: 'hunter2', other: 'a' };
    await compileScrubber({ rules: ['@password'] }).scrub(value);
    expect(value).toEqual({ [key]: '[Filtered]', other: 'a' });
  });
  it('keeps ^ and $ at the ends of the key, not of a window', async () => {
    const late = { [`${'a'.repeat(5_000)}ssn_x`]: 'v' };
    await compileScrubber({ rules: [], sensitiveKeys: ['^ssn_'] }).scrub(late);
    expect(Object.values(late)).toEqual(['v']);
    const early = { [`ssn_${'a'.repeat(5_000)}`]: 'v' };
    await compileScrubber({ rules: [], sensitiveKeys: ['^ssn_'] }).scrub(early);
    expect(Object.values(early)).toEqual(['[Filtered]']);
  });
  it('finds a match straddling two windows', () => {
    for (let offset = 700; offset < 1_100; offset += 7) {
      expect(
        hasMatch(
          { regex: /secret/gi, limits: CUSTOM_SCAN_LIMITS },
          `${'x'.repeat(offset)}SECRET${'y'.repeat(3_000)}`,
        ),
      ).toBe(true);
    }
    expect(hasMatch({ regex: /secret/gi, limits: CUSTOM_SCAN_LIMITS }, 'x'.repeat(10_000))).toBe(
      false,
    );
  });
});
