import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import {
  canonicalAddress,
  compileTrustProxy,
  forwardedAddress,
  rateLimitKey,
  resolveClientAddress,
  type TrustProxy,
} from './client-ip.js';

describe('compileTrustProxy', () => {
  it('trusts nobody by default or with false', () => {
    for (const setting of [undefined, false] as const) {
      const trusts = compileTrustProxy(setting);
      expect(trusts('127.0.0.1', 0)).toBe(false);
      expect(trusts('10.0.0.1', 0)).toBe(false);
    }
  });

  it('trusts every hop with true', () => {
    const trusts = compileTrustProxy(true);
    expect(trusts('203.0.113.9', 0)).toBe(true);
    expect(trusts('203.0.113.9', 50)).toBe(true);
  });

  it('trusts the n hops nearest the relay with a number', () => {
    const trusts = compileTrustProxy(2);
    expect([0, 1, 2, 3].map((hop) => trusts('203.0.113.9', hop))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(compileTrustProxy(0)('127.0.0.1', 0)).toBe(false);
  });

  it.each([-1, 1.5, Number.NaN])('refuses the hop count %s', (count) => {
    expect(() => compileTrustProxy(count)).toThrow(
      new TypeError('trustProxy: a hop count must be a whole number of 0 or more.'),
    );
  });

  const cases: [TrustProxy, string, boolean][] = [
    [['10.0.0.0/8'], '10.1.2.3', true],
    [['10.0.0.0/8'], '11.0.0.1', false],
    [['192.0.2.7'], '192.0.2.7', true],
    [['192.0.2.7'], '192.0.2.8', false],
    [['2001:db8::/32'], '2001:db8:ffff::1', true],
    [['2001:db8::/32'], '2001:db9::1', false],
    // An IPv4 range never matches an IPv6 address and the other way round.
    [['0.0.0.0/0'], '::1', false],
    [['::/0'], '127.0.0.1', false],
    // A mapped address given as an entry is the IPv4 address it wraps.
    [['::ffff:192.0.2.7'], '192.0.2.7', true],
    [['loopback'], '127.0.0.1', true],
    [['loopback'], '127.255.0.9', true],
    [['loopback'], '::1', true],
    [['loopback'], '10.0.0.1', false],
    [['uniquelocal'], '10.9.8.7', true],
    [['uniquelocal'], '172.16.0.1', true],
    [['uniquelocal'], '172.31.255.255', true],
    [['uniquelocal'], '172.32.0.1', false],
    [['uniquelocal'], '192.168.1.1', true],
    [['uniquelocal'], 'fd00::1', true],
    [['uniquelocal'], '127.0.0.1', false],
    [['linklocal'], '169.254.1.1', true],
    [['linklocal'], 'fe80::1', true],
    [['linklocal'], '192.168.1.1', false],
    // A comma-separated string is a list; spaces around entries are ignored.
    ['loopback, 10.0.0.0/8', '10.0.0.5', true],
    ['loopback, 10.0.0.0/8', '127.0.0.1', true],
    ['loopback, 10.0.0.0/8', '192.168.0.1', false],
    ['', '127.0.0.1', false],
    [[], '127.0.0.1', false],
    // Something that is not an address is never a trusted proxy.
    [['0.0.0.0/0'], 'unknown', false],
  ];
  it.each(cases)('%j trusts %s: %s', (setting, address, expected) => {
    const trusts = compileTrustProxy(setting);
    expect(trusts(address, 0)).toBe(expected);
    // Address rules do not depend on the hop.
    expect(trusts(address, 7)).toBe(expected);
  });

  it.each([
    [['10.0.0.0/8', 'proxy.internal'], 'proxy.internal'],
    ['loopback,10.0.0.0/33', '10.0.0.0/33'],
    [['Loopback'], 'Loopback'],
    [['300.1.1.1'], '300.1.1.1'],
  ] as [TrustProxy, string][])('refuses %j, naming %s', (setting, bad) => {
    expect(() => compileTrustProxy(setting)).toThrow(TypeError);
    expect(() => compileTrustProxy(setting)).toThrow(
      `trustProxy: "${bad}" is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal.`,
    );
  });
});

describe('canonicalAddress', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:7f00:1', '127.0.0.1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['[::1]', '::1'],
    [' 203.0.113.9 ', '203.0.113.9'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['::ffff:0:203.0.113.9', '::ffff:0:cb00:7109'],
  ])('%j → %s', (input, expected) => {
    expect(canonicalAddress(input)).toBe(expected);
  });

  it.each([
    undefined,
    '',
    'unknown',
    '1.2.3.4:5678',
    '_hidden',
    '300.1.1.1',
    '256.0.0.1',
    '010.0.0.1',
    '1.2.3',
    '1.2.3.4.5',
    '::ffff:256.0.0.1',
  ])('%j is not an address', (input) => {
    expect(canonicalAddress(input)).toBeUndefined();
  });
});

describe('canonicalAddress without parsing', () => {
  it('answers every dotted quad and its IPv4-mapped form as the parse does', () => {
    const parsed = (address: string): string | undefined =>
      ipaddr.IPv4.isValidFourPartDecimal(address) ? ipaddr.process(address).toString() : undefined;
    const parts = [
      '0',
      '1',
      '9',
      '10',
      '99',
      '100',
      '199',
      '200',
      '249',
      '250',
      '255',
      '256',
      '00',
      '01',
      '010',
    ];
    for (const a of parts)
      for (const b of ['0', '255', '07']) {
        const quad = `${a}.${b}.${a}.1`;
        expect(canonicalAddress(quad), quad).toBe(parsed(quad));
        expect(canonicalAddress(`::ffff:${quad}`), `::ffff:${quad}`).toBe(
          ipaddr.IPv6.isValid(`::ffff:${quad}`)
            ? ipaddr.process(`::ffff:${quad}`).toString()
            : undefined,
        );
      }
  });
});

describe('resolveClientAddress', () => {
  const none = compileTrustProxy(false);

  it('without trust, the socket peer is the client whatever X-Forwarded-For says', () => {
    expect(resolveClientAddress('203.0.113.9', '198.51.100.1', none)).toBe('203.0.113.9');
    expect(resolveClientAddress('127.0.0.1', '198.51.100.1, 127.0.0.1', none)).toBe('127.0.0.1');
  });

  it('canonicalises the socket address (IPv4-mapped IPv6 unwrapped)', () => {
    expect(resolveClientAddress('::ffff:127.0.0.1', undefined, none)).toBe('127.0.0.1');
    expect(resolveClientAddress('::ffff:203.0.113.9', '', none)).toBe('203.0.113.9');
  });

  it('answers "unknown" when the socket address is missing or not an address', () => {
    expect(resolveClientAddress(undefined, '198.51.100.1', compileTrustProxy(true))).toBe(
      'unknown',
    );
    expect(resolveClientAddress('garbage', undefined, none)).toBe('unknown');
  });

  it('walks X-Forwarded-For from the right while the current hop is a trusted proxy', () => {
    const trusts = compileTrustProxy(['loopback', '10.0.0.0/8']);
    // socket 127.0.0.1 (trusted) → 10.0.0.2 (trusted) → 198.51.100.7 (client) ; the leftmost entry is never reached.
    expect(resolveClientAddress('127.0.0.1', '1.1.1.1, 198.51.100.7, 10.0.0.2', trusts)).toBe(
      '198.51.100.7',
    );
    // Entries are canonicalised as they are read.
    expect(resolveClientAddress('::ffff:127.0.0.1', '::ffff:198.51.100.7', trusts)).toBe(
      '198.51.100.7',
    );
  });

  it('stops at the first hop that is not trusted', () => {
    const trusts = compileTrustProxy('loopback');
    // The socket peer is not a proxy we trust: its X-Forwarded-For is the client's own claim.
    expect(resolveClientAddress('203.0.113.9', '127.0.0.1', trusts)).toBe('203.0.113.9');
    // The proxy says the peer was 198.51.100.7, which is not trusted: a spoofed left part is ignored.
    expect(resolveClientAddress('127.0.0.1', '127.0.0.2, 198.51.100.7', trusts)).toBe(
      '198.51.100.7',
    );
  });

  it('stops at the hop that added an entry that is not an address', () => {
    const trusts = compileTrustProxy(true);
    expect(resolveClientAddress('127.0.0.1', '198.51.100.1, unknown, 10.0.0.2', trusts)).toBe(
      '10.0.0.2',
    );
    expect(resolveClientAddress('127.0.0.1', 'unknown', trusts)).toBe('127.0.0.1');
    expect(resolveClientAddress('127.0.0.1', '198.51.100.1, ', trusts)).toBe('127.0.0.1');
  });

  it('with true, walks to the leftmost entry', () => {
    expect(
      resolveClientAddress(
        '127.0.0.1',
        '198.51.100.1, 203.0.113.5, 10.0.0.2',
        compileTrustProxy(true),
      ),
    ).toBe('198.51.100.1');
  });

  it('with a hop count n, the client is the n-th entry from the right (the socket peer being hop 0)', () => {
    const xff = '198.51.100.1, 198.51.100.2, 198.51.100.3';
    expect(resolveClientAddress('10.0.0.1', xff, compileTrustProxy(0))).toBe('10.0.0.1');
    expect(resolveClientAddress('10.0.0.1', xff, compileTrustProxy(1))).toBe('198.51.100.3');
    expect(resolveClientAddress('10.0.0.1', xff, compileTrustProxy(2))).toBe('198.51.100.2');
    expect(resolveClientAddress('10.0.0.1', xff, compileTrustProxy(3))).toBe('198.51.100.1');
    // More trusted hops than entries: the leftmost entry is as far as the walk can go.
    expect(resolveClientAddress('10.0.0.1', xff, compileTrustProxy(10))).toBe('198.51.100.1');
  });

  it('passes the hop index to the rule, starting at 0 for the socket peer', () => {
    const seen: [string, number][] = [];
    const trusts = (address: string, hop: number): boolean => {
      seen.push([address, hop]);
      return true;
    };
    resolveClientAddress('10.0.0.1', '198.51.100.1, 10.0.0.3, 10.0.0.2', trusts);
    expect(seen).toEqual([
      ['10.0.0.1', 0],
      ['10.0.0.2', 1],
      ['10.0.0.3', 2],
    ]);
  });
});

describe('forwardedAddress', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['203.0.113.7:5000', '203.0.113.7'],
    [' 203.0.113.7:65535 ', '203.0.113.7'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['[2001:DB8:0:0:0:0:0:1]:8443', '2001:db8::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['[::ffff:198.51.100.7]:1234', '198.51.100.7'],
    ['2001:db8::1', '2001:db8::1'],
    // A bare IPv6 address is never cut at a colon: this is the address ending in 1:443, not ::1 port 443.
    ['2001:db8::1:443', '2001:db8::1:443'],
  ])('%j → %s', (entry, expected) => {
    expect(forwardedAddress(entry)).toBe(expected);
  });

  it.each([
    undefined,
    '',
    'unknown',
    '203.0.113.7:',
    '203.0.113.7:99999',
    '203.0.113.7:80:80',
    '300.1.1.1:80',
    '[2001:db8::1]:',
    '[2001:db8::zz]:443',
    'host.example:443',
    '_hidden:80',
    '203.0.113.7:x',
  ])('%j is not an address', (entry) => {
    expect(forwardedAddress(entry)).toBeUndefined();
  });
});

describe('resolveClientAddress: X-Forwarded-For entries with ports', () => {
  it('drops the port a proxy wrote after an address, so each client keeps its own bucket', () => {
    const trusts = compileTrustProxy('loopback');
    expect(resolveClientAddress('127.0.0.1', '203.0.113.7:5000', trusts)).toBe('203.0.113.7');
    expect(resolveClientAddress('127.0.0.1', '203.0.113.8:5001', trusts)).toBe('203.0.113.8');
    expect(resolveClientAddress('127.0.0.1', '[2001:db8::1]:443', trusts)).toBe('2001:db8::1');
    // A trusted hop written with a port is still recognised as trusted, and the walk goes on past it.
    expect(resolveClientAddress('127.0.0.1', '198.51.100.7:61000, 127.0.0.2:8080', trusts)).toBe(
      '198.51.100.7',
    );
    expect(resolveClientAddress('127.0.0.1', '198.51.100.7, [::1]:8080', trusts)).toBe(
      '198.51.100.7',
    );
  });

  it('still stops at an entry that is not an address, with or without a port', () => {
    const trusts = compileTrustProxy(true);
    expect(resolveClientAddress('127.0.0.1', '198.51.100.1, unknown:80', trusts)).toBe('127.0.0.1');
    expect(resolveClientAddress('127.0.0.1', '198.51.100.1, 10.0.0.2:99999', trusts)).toBe(
      '127.0.0.1',
    );
  });

  it('never reads a port from the socket address: that is the socket peer as the runtime gives it', () => {
    expect(resolveClientAddress('203.0.113.7:5000', undefined, compileTrustProxy(false))).toBe(
      'unknown',
    );
  });
});

describe('rateLimitKey', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['unknown', 'unknown'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    // Two addresses in the same /64 share a key; the next /64 does not.
    ['2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8:1:3::1', '2001:db8:1:3::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1', 'fe80:0:0:0::/64'],
  ])('%s → %s', (address, expected) => {
    expect(rateLimitKey(address)).toBe(expected);
  });
});
