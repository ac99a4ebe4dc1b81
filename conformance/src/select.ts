import type { FixtureCase } from './types.js';

/**
 * Whether a case is picked by `--grep`: a whole id (`browser/3.1/2`), a section (`browser/3` also picks
 * `browser/3.1/…`), a requirement id (`R-ORIGIN-2`), or a /regular expression/ over the id.
 */
export function selects(selector: string, testCase: FixtureCase): boolean {
  const regex = /^\/(.+)\/([a-z]*)$/.exec(selector);
  if (regex) return new RegExp(regex[1] as string, regex[2]).test(testCase.id);
  if (testCase.id === selector || testCase.requirements.includes(selector)) return true;
  return testCase.id.startsWith(`${selector}/`) || testCase.id.startsWith(`${selector}.`);
}
