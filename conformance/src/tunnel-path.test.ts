import { _INTERNAL_normalizeTunnelBasePath, getTunnelPath } from '@sentry/core';
import { describe, expect, it } from 'vitest';
import { fillPlaceholders } from './placeholders.js';
import { tunnelPath } from './tunnel-path.js';

// The runner's `{{tunnelPath:<dsn>}}` follows SPEC section 25's rule; the installed @sentry/core (what the
// browser SDK runs for `tunnel: true`) must agree with it for every kind of DSN a fixture or relay may use.
describe('tunnelPath', () => {
  it.each([
    'https://public@o1.ingest.sentry.io/42',
    'https://public:secret@o1.ingest.sentry.io/42',
    'https://public@o1.ingest.sentry.io:443/42',
    'http://key@127.0.0.1:9000/7',
    'https://k@sentry.example.com/sub/path/5',
    'https://k@[::1]:9000/3',
    'https://K@O1.Ingest.Sentry.io/42',
    'https://k@h.example/ü/5',
    'http://fedcba9876543210fedcba9876543210:s3cr3t@127.0.0.1:41234/sentry/7',
  ])('%s', (dsn) => {
    expect(tunnelPath(dsn)).toBe(getTunnelPath(dsn));
    for (const base of ['monitoring/', './app', '/a/b/', '/'])
      expect(tunnelPath(dsn, base)).toBe(
        `${_INTERNAL_normalizeTunnelBasePath(base)}${getTunnelPath(dsn)}`,
      );
  });

  it('is filled in after {{upstream}}, inside any string', () => {
    const places = { upstream: '127.0.0.1:41234', unreachable: '127.0.0.1:1', run: '0badc0de' };
    const dsn = 'http://0123456789abcdef0123456789abcdef@127.0.0.1:41234/42';
    expect(
      fillPlaceholders(
        '/monitoring{{tunnelPath:http://0123456789abcdef0123456789abcdef@{{upstream}}/42}}/',
        places,
      ),
    ).toBe(`/monitoring${getTunnelPath(dsn)}/`);
  });
});
