import { describe, expect, it } from 'vitest';
import { BUILTINS, PASSWORD_KEYS } from './builtins.js';
import { RECHECK_GUARD_MS, describeVerdict, verdict } from './recheck.testkit.js';

const PATTERNS: Array<[string, RegExp]> = [['@password keys', PASSWORD_KEYS]];
for (const [name, rule] of Object.entries(BUILTINS))
  for (const [index, pattern] of rule.patterns.entries()) {
    PATTERNS.push([`${name} #${index + 1}`, pattern.regex]);
  }

describe('every built-in pattern is linear (recheck)', () => {
  it.each(PATTERNS)(
    '%s',
    async (_name, regex) => {
      expect(describeVerdict(await verdict(regex))).toMatch(/^safe/);
    },
    RECHECK_GUARD_MS,
  );
});
