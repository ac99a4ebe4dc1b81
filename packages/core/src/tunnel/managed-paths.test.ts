import {
  _INTERNAL_normalizeTunnelBasePath,
  dsnToString,
  getTunnelPath,
  makeDsn,
} from '@sentry/core';
import { describe, expect, it } from 'vitest';
import {
  compileServedPaths,
  fnv1a32,
  managedTunnelPath,
  normaliseBasePath,
  sdkDsnString,
} from './managed-paths.js';
import { parseDsn } from './dsn.js';
import { createTunnel } from './tunnel.js';

// Every computed path is checked against the installed @sentry/core (11.12), the code the browser SDK runs
// for `tunnel: true`: its getTunnelPath and its base-path normalisation. Postern's own implementation
// follows the rules written in SPEC section 25 and never calls Sentry's.
const DSNS = [
  'https://public@o1.ingest.sentry.io/42',
  'https://public:secret@o1.ingest.sentry.io/42',
  'http://key@127.0.0.1:9000/7',
  'https://public@o1.ingest.sentry.io:443/42',
  'http://key@127.0.0.1:80/7',
  'https://k@sentry.example.com/sub/path/5',
  'https://k@sentry.example.com/sentry/7',
  'https://k@[::1]:9000/3',
  'https://k@[2001:db8::1]/3',
  'https://k:s@[2001:DB8::1]:8443/sentry/3',
  'https://PublicKey@O1.Ingest.Sentry.io/42',
  'https://k@h.example/ü/5',
  'http://0123456789abcdef0123456789abcdef@127.0.0.1:41234/42',
  'http://fedcba9876543210fedcba9876543210@127.0.0.1:41234/sentry/7',
  'https://a1b2c3d4e5f60718293a4b5c6d7e8f90@o447951.ingest.us.sentry.io/4506',
];

describe('managed tunnel paths', () => {
  it.each(DSNS)('%s: the same path as @sentry/core getTunnelPath', (dsn) => {
    expect(parseDsn(dsn), 'a DSN the tunnel accepts').not.toBeNull();
    const sentry = getTunnelPath(dsn);
    expect(sentry).toMatch(/^\/[0-9a-z]{1,7}$/);
    expect(managedTunnelPath(dsn)).toBe(sentry);
    expect(sdkDsnString(dsn)).toBe(dsnToString(makeDsn(dsn)!));
  });

  it('matches the fact sheet: the secret is dropped, an explicit port changes the path', () => {
    expect(managedTunnelPath('https://public@o1.ingest.sentry.io/42')).toBe('/16ym0ib');
    expect(managedTunnelPath('https://public:secret@o1.ingest.sentry.io/42')).toBe('/16ym0ib');
    expect(managedTunnelPath('http://key@127.0.0.1:9000/7')).toBe('/1apbmq0');
    expect(managedTunnelPath('https://public@o1.ingest.sentry.io:443/42')).toBe('/1hr51hm');
    expect(managedTunnelPath('https://k@[::1]:9000/3')).toBe('/ebi76h');
    // UTF-16 code units, not UTF-8 bytes.
    expect(managedTunnelPath('https://k@h.example/ü/5')).toBe('/1qxvjwg');
    expect(fnv1a32('https://public@o1.ingest.sentry.io/42')).toBe(2597713427);
  });

  it('is standard FNV-1a 32', () => {
    // Published test vectors of FNV-1a 32.
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it.each([
    undefined,
    '',
    '/',
    './',
    'app',
    'app/',
    '/app/',
    './app',
    '/a/b/',
    '//x',
    'monitoring/',
    '/monitoring',
  ])('base path %j is normalised as the SDK normalises it', (basePath) => {
    expect(normaliseBasePath(basePath ?? '')).toBe(_INTERNAL_normalizeTunnelBasePath(basePath));
    for (const dsn of DSNS)
      expect(managedTunnelPath(dsn, basePath)).toBe(
        `${_INTERNAL_normalizeTunnelBasePath(basePath)}${getTunnelPath(dsn)}`,
      );
  });

  it('has no path for what is not a DSN', () => {
    for (const value of [
      '',
      'https://o1.ingest.sentry.io/42',
      'https://k@h',
      'https://k@h/',
      'https://k@h/abc',
      'https://k@h:x/1',
      'k@h/1',
    ])
      expect(managedTunnelPath(value)).toBeNull();
  });
});

describe('the paths a tunnel serves', () => {
  const a = 'https://public@o1.ingest.sentry.io/42';
  const b = 'https://other:secret@sentry.example.com/sentry/7';
  const keyOf = (dsn: string): string => parseDsn(dsn)!.key;

  it('serves the fixed path alone by default', () => {
    const served = compileServedPaths({ dsns: [a] });
    expect(served.paths).toEqual(['/postern/tunnel']);
    expect(served.path).toBe('/postern/tunnel');
    expect(served.matches('/postern/tunnel/?x=1')).toBe(true);
    expect(served.matches('/16ym0ib')).toBe(false);
  });

  it('adds the managed path of every inbound DSN, routes included, and keeps each to its own DSN', () => {
    const served = compileServedPaths({
      dsns: [a, { dsn: b, forwardTo: [a] }],
      managedPaths: true,
    });
    expect(served.paths).toEqual(['/postern/tunnel', '/16ym0ib', getTunnelPath(b)]);
    for (const target of ['/16ym0ib', '/16ym0ib/', '/16ym0ib?x', '/postern/tunnel'])
      expect(served.matches(target), target).toBe(true);
    for (const target of ['/16ym0ib//', '/16YM0IB', '/x/16ym0ib', '/', ''])
      expect(served.matches(target), target).toBe(false);
    expect(served.refuses('/16ym0ib', keyOf(a))).toBeUndefined();
    expect(
      served.refuses('/16ym0ib/', keyOf('https://public@O1.ingest.sentry.io:443/42')),
    ).toBeUndefined();
    expect(served.refuses('/16ym0ib', keyOf(b))).toMatch(/another configured DSN/);
    expect(served.refuses('/postern/tunnel', keyOf(b))).toBeUndefined();
    expect(served.refuses(undefined, keyOf(b))).toBeUndefined();
  });

  it('keeps a managed path to its DSN under every spelling a lenient router routes to it', () => {
    const served = compileServedPaths({ dsns: [a, b], managedPaths: true });
    // Express ignores case, find-my-way decodes escapes, a Fastify prefix or an Express mount path sits in front.
    for (const target of [
      '/16YM0IB',
      '/%31%36ym0ib',
      '/16ym0ib//',
      '/prefix/16ym0ib',
      '/prefix/16ym0ib/?x=1',
    ]) {
      expect(served.refuses(target, keyOf(b)), target).toMatch(/another configured DSN/);
      expect(served.refuses(target, keyOf(a)), target).toBeUndefined();
    }
    // The fixed path in any spelling, and a path of the app's own, take every configured DSN.
    for (const target of ['/POSTERN/TUNNEL', '/postern/tunnel/', '/custom', '/%E0%A4%A'])
      expect(served.refuses(target, keyOf(b)), target).toBeUndefined();
  });

  it('puts the managed paths under basePath, and can switch the fixed path off', () => {
    const served = compileServedPaths({
      dsns: [a],
      managedPaths: true,
      basePath: 'monitoring/',
      path: false,
    });
    expect(served.paths).toEqual(['/monitoring/16ym0ib']);
    expect(served.path).toBe('/monitoring/16ym0ib');
    expect(served.matches('/monitoring/16ym0ib/')).toBe(true);
    expect(served.matches('/16ym0ib')).toBe(false);
    expect(served.matches('/postern/tunnel')).toBe(false);
  });

  it('refuses options that serve nothing or mean nothing, at construction', () => {
    expect(() => compileServedPaths({ dsns: [a], path: false })).toThrow(/managedPaths: true/);
    expect(() => compileServedPaths({ dsns: [a], basePath: '/monitoring' })).toThrow(
      /managedPaths is not on/,
    );
    expect(() => compileServedPaths({ dsns: [a], managedPaths: true, basePath: '/m?x' })).toThrow(
      /basePath/,
    );
    expect(() => compileServedPaths({ dsns: [a], managedPaths: true, basePath: '//' })).toThrow(
      /basePath/,
    );
    expect(() =>
      compileServedPaths({ dsns: [a], managedPaths: 'yes' as unknown as boolean }),
    ).toThrow(/managedPaths must be/);
    expect(() => compileServedPaths({ dsns: [a], path: true as unknown as string })).toThrow(
      /path must be/,
    );
    expect(() => compileServedPaths({ dsns: [a], managedPaths: true, path: '/16ym0ib' })).toThrow(
      /also the fixed path/,
    );
    expect(() => compileServedPaths({ dsns: [a], managedPaths: true, path: '/16ym0ib/' })).toThrow(
      /also the fixed path/,
    );
    expect(() => createTunnel({ dsns: [a], path: false })).toThrow(/managedPaths: true/);
  });

  it('is what the engine answers on', () => {
    const tunnel = createTunnel({ dsns: [a], managedPaths: true, basePath: '/m' });
    expect(tunnel.paths).toEqual(['/postern/tunnel', '/m/16ym0ib']);
    expect(tunnel.path).toBe('/postern/tunnel');
    expect(tunnel.matches('/m/16ym0ib/')).toBe(true);
    expect(createTunnel({ dsns: [a], path: '/t' }).paths).toEqual(['/t']);
  });
});
