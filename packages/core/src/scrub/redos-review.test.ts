import { describe, expect, it } from 'vitest';
import { RECHECK_GUARD_MS, verdict } from './recheck.testkit.js';

// Controls for redos.test.ts: with the same settings, recheck finds the quadratic patterns that were
// there before the fix (the review found @urlauth; recheck found @pemkey as well).
describe('the checker, with these settings, finds what the review found', () => {
  it(
    '@urlauth scanned a scheme from every word boundary',
    async () => {
      const old = /(?:\b[a-z][a-z0-9+.-]*:)?\/\/(?<secret>[^\s/?#@:]+(?::[^\s/?#@]*)?)@/dgi;
      const diagnostics = await verdict(old);
      expect(diagnostics.status).toBe('vulnerable');
      expect(diagnostics.status === 'vulnerable' && diagnostics.complexity.type).toBe('polynomial');
    },
    RECHECK_GUARD_MS,
  );
  it(
    '@pemkey looked at the whitespace before END once per character of a run of it',
    async () => {
      const old =
        /-----BEGIN (?<kind>(?:[A-Z0-9]+ )*PRIVATE KEY)-----\s*(?<secret>[\s\S]+?)(?:\s*-----END \k<kind>-----|$)/dg;
      expect((await verdict(old)).status).toBe('vulnerable');
    },
    RECHECK_GUARD_MS,
  );
});
