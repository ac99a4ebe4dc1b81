import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTINS, type BuiltinName, type ValuePattern } from './builtins.js';
import { acceptIban } from './checks.js';
import { REMOVE, joinPieces, scrubText } from './redact.js';
import type { ValueRule } from './rules.js';

// The patterns rewritten to run in linear time must scrub what they scrubbed before. The old patterns,
// quadratic on long crafted input, are fine on these short strings, which are built from the pieces
// each rule looks at so that matches, near-matches and their edges come up often.

const OLD: Partial<Record<BuiltinName, ValuePattern>> = {
  '@pemkey': {
    regex:
      /-----BEGIN (?<kind>(?:[A-Z0-9]+ )*PRIVATE KEY)-----\s*(?<secret>[\s\S]+?)(?:\s*-----END \k<kind>-----|$)/dg,
  },
  '@urlauth': { regex: /(?:\b[a-z][a-z0-9+.-]*:)?\/\/(?<secret>[^\s/?#@:]+(?::[^\s/?#@]*)?)@/dgi },
  '@iban': {
    regex: /(?<![\w])[A-Z]{2}\d{2}(?:(?: [A-Z0-9]{4})+(?: [A-Z0-9]{1,4})?|[A-Z0-9]{11,30})(?!\w)/g,
    accept: acceptIban,
  },
  '@email': {
    regex:
      /(?<![\w.!#$%'*+^`{|}~-])[\w.!#$%'*+^`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+(?!(?:png|jpe?g|gif|svg|webp|avif|ico|css|js|mjs|map|woff2?)\b)[A-Za-z]{2,}(?![\w-])/g,
  },
  '@userpath': {
    regex:
      /(?:\b[A-Za-z]:[\\/](?:[Uu][Ss][Ee][Rr][Ss]|Documents and Settings)[\\/]|(?<![\w.~-])(?:\/Users\/|\/home\/|\\Users\\))(?<secret>[^\\/\s"'<>|:*?](?:[^\\/\r\n\0"'<>|:*?]*[^\\/\s"'<>|:*?])?(?=[\\/])|[^\\/\s"'<>|:*?]+)/dg,
  },
};

const PIECES: Record<string, readonly string[]> = {
  '@pemkey': [
    '-----BEGIN ',
    '-----END ',
    'RSA ',
    'EC ',
    'PRIVATE KEY',
    '-----',
    'MIIE',
    'A',
    ' ',
    '\n',
    '\r\n',
    '\t',
    'x',
  ],
  '@urlauth': [
    '//',
    '/',
    ':',
    '@',
    'a',
    'B',
    '.',
    '+',
    '-',
    ' ',
    '?',
    '#',
    '1',
    'http',
    'x://',
    'git+ssh:',
    '%40',
  ],
  '@iban': [
    'DE89',
    'GB82',
    'AB12',
    '3704',
    '0044',
    '0532',
    '0130',
    '00',
    'WEST',
    '1234',
    'A',
    '1',
    ' ',
    ' ',
    'x',
    '.',
  ],
  '@email': [
    'a',
    'B',
    '1',
    '-',
    '.',
    '@',
    '_',
    '+',
    ' ',
    'com',
    'png',
    'io',
    'x.y',
    '@ex',
    '--',
    '/',
    '?',
  ],
  '@userpath': [
    'C:',
    'c:/',
    '\\',
    '/',
    'Users',
    'users',
    '/Users/',
    '/home/',
    '\\Users\\',
    'Documents and Settings',
    'a',
    'J',
    ' ',
    '\t',
    '\n',
    '\0',
    '.',
    ':',
    '"',
    '~',
  ],
};

function scrubbed(
  text: string,
  name: BuiltinName,
  pattern: ValuePattern,
  method: 'replace' | 'remove',
): string | null {
  const rule: ValueRule = { name, patterns: [pattern], method, text: '#' };
  const pieces = scrubText(text, [rule]);
  if (pieces === REMOVE) return null;
  return pieces === undefined ? text : joinPieces(pieces);
}

/** An IBAN candidate now stops after the most groups an IBAN can have; runs longer than that differ. */
const LONG_GROUP_RUN = /(?:[A-Z0-9]{4} ){8}/;
/** A private key's kind is now at most four words before PRIVATE KEY (builtins.ts); longer kinds differ. */
const LONG_KEY_KIND = /-----BEGIN (?:[A-Z0-9]+ ){5,}PRIVATE KEY-----/;

describe('the linear patterns scrub what the old ones did', () => {
  it.each(Object.keys(OLD) as BuiltinName[])('%s', (name) => {
    const newPattern = (BUILTINS[name].patterns as readonly ValuePattern[])[0] as ValuePattern;
    const oldPattern = OLD[name] as ValuePattern;
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...(PIECES[name] as string[])), { maxLength: 24 }),
        (parts) => {
          const text = parts.join('');
          fc.pre(name !== '@iban' || !LONG_GROUP_RUN.test(text));
          fc.pre(name !== '@pemkey' || !LONG_KEY_KIND.test(text));
          for (const method of ['replace', 'remove'] as const)
            expect(scrubbed(text, name, newPattern, method)).toBe(
              scrubbed(text, name, oldPattern, method),
            );
        },
      ),
      { numRuns: 3_000 },
    );
  });
});
