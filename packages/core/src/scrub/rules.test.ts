import { describe, expect, it } from 'vitest';
import type { ScrubOptions, ScrubRule } from './options.js';
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

describe('compileScrubber refuses bad rules with the rule and the fix', () => {
  it('an unknown built-in', () => {
    const message = compileError({ rules: ['@emial'] });
    expect(message).toContain('"@emial"');
    expect(message).toContain('@email');
  });
  it('an unknown method', () => {
    const message = compileError({ rules: ['@ip:blur'] });
    expect(message).toContain('"@ip:blur"');
    expect(message).toContain('remove, replace, mask, hash, filter');
    expect(compileError({ rules: [{ pattern: 'x', method: 'blur' as never }] })).toContain(
      '"blur"',
    );
  });
  it('a bad regular expression, an empty match and the sticky flag', () => {
    expect(compileError({ rules: [{ pattern: '(' }] })).toMatch(
      /"\(".*not a valid regular expression/,
    );
    expect(compileError({ rules: [{ pattern: 'x', flags: 'q' }] })).toContain(
      'not a valid regular expression',
    );
    expect(compileError({ rules: ['a*'] })).toContain('matches the empty string');
    expect(compileError({ rules: [{ pattern: 'x', flags: 'y' }] })).toContain('"y"');
  });
  it('text without replace, a rule listed twice, odd entries', () => {
    expect(compileError({ rules: [{ pattern: 'x', method: 'mask', text: '[x]' }] })).toContain(
      '"text"',
    );
    expect(compileError({ rules: ['@email', '@email:hash'] })).toContain('listed twice');
    expect(compileError({ rules: [42 as unknown as ScrubRule] })).toContain('42');
    expect(compileError({ rules: '@email' as unknown as ScrubRule[] })).toContain('array');
    expect(compileError({ rules: [], sensitiveKeys: [''] })).toContain('sensitiveKeys');
    expect(compileError({ rules: [], sensitiveKeys: ['('] })).toContain('"("');
    expect(compileError({ rules: [], hashKey: '' })).toContain('hashKey');
  });
  it('accepts every built-in with every method', () => {
    const names = [
      '@password',
      '@creditcard',
      '@email',
      '@ip',
      '@iban',
      '@usssn',
      '@pemkey',
      '@urlauth',
      '@userpath',
      '@bearer',
    ];
    for (const method of ['remove', 'replace', 'mask', 'hash', 'filter']) {
      expect(() =>
        compileScrubber({ rules: names.map((name) => `${name}:${method}`) }),
      ).not.toThrow();
    }
  });
});
