import { describe, expect, it } from 'vitest';
import { matchesPath } from './path.js';

describe('matchesPath', () => {
  const route = '/debugbundle/browser';

  it.each([
    ['/debugbundle/browser', true],
    ['/debugbundle/browser/', true],
    ['/debugbundle/browser?x=1', true],
    ['/debugbundle/browser/?x=1', true],
    ['/debugbundle/browser?', true],
    // Only the path decides: a query that looks like a path changes nothing.
    ['/other?/debugbundle/browser', false],
    ['/debugbundle/browser//', false],
    ['/debugbundle/browser/x', false],
    ['/debugbundle/browsers', false],
    ['/debugbundle', false],
    ['/Debugbundle/Browser', false],
    ['debugbundle/browser', false],
    ['/prefix/debugbundle/browser', false],
    ['', false],
    ['/', false],
  ])('%j → %s', (target, expected) => {
    expect(matchesPath(target, route)).toBe(expected);
  });

  it('works for a configured route', () => {
    expect(matchesPath('/telemetry', '/telemetry')).toBe(true);
    expect(matchesPath('/telemetry/?a', '/telemetry')).toBe(true);
    expect(matchesPath('/debugbundle/browser', '/telemetry')).toBe(false);
  });
});
