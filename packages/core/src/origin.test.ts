import { describe, expect, it } from 'vitest';
import {
  canonicalOriginText,
  compileAllowedOrigins,
  isSameOrigin,
  normaliseOrigin,
  parseOriginHeader,
  requestOrigin,
  type NormalisedOrigin,
} from './origin.js';
import type { RelayRequest } from './request.js';

function origin(value: string): NormalisedOrigin {
  const parsed = normaliseOrigin(value);
  if (parsed === null) throw new Error(`test setup: ${value} should parse`);
  return parsed;
}

describe('normaliseOrigin', () => {
  it.each([
    [
      'https://app.example.com',
      {
        serialized: 'https://app.example.com',
        scheme: 'https:',
        hostname: 'app.example.com',
        port: '443',
      },
    ],
    [
      'HTTPS://App.Example.COM',
      {
        serialized: 'https://app.example.com',
        scheme: 'https:',
        hostname: 'app.example.com',
        port: '443',
      },
    ],
    // A default port is the same origin as no port, and the effective port is spelled out.
    [
      'https://app.example.com:443',
      {
        serialized: 'https://app.example.com',
        scheme: 'https:',
        hostname: 'app.example.com',
        port: '443',
      },
    ],
    [
      'http://app.example.com:80',
      {
        serialized: 'http://app.example.com',
        scheme: 'http:',
        hostname: 'app.example.com',
        port: '80',
      },
    ],
    [
      'http://app.example.com',
      {
        serialized: 'http://app.example.com',
        scheme: 'http:',
        hostname: 'app.example.com',
        port: '80',
      },
    ],
    // 443 is not the default for http, so it stays.
    [
      'http://app.example.com:443',
      {
        serialized: 'http://app.example.com:443',
        scheme: 'http:',
        hostname: 'app.example.com',
        port: '443',
      },
    ],
    [
      'http://localhost:3000',
      { serialized: 'http://localhost:3000', scheme: 'http:', hostname: 'localhost', port: '3000' },
    ],
    [
      '  https://app.example.com  ',
      {
        serialized: 'https://app.example.com',
        scheme: 'https:',
        hostname: 'app.example.com',
        port: '443',
      },
    ],
    [
      'http://[::1]:8080',
      { serialized: 'http://[::1]:8080', scheme: 'http:', hostname: '[::1]', port: '8080' },
    ],
    // A Referer is a full URL: only its origin counts; path, query, fragment and userinfo are dropped.
    [
      'https://user:secret@App.Example.com:443/checkout?step=2#pay',
      {
        serialized: 'https://app.example.com',
        scheme: 'https:',
        hostname: 'app.example.com',
        port: '443',
      },
    ],
    [
      'http://app.example.com:8080/a/b',
      {
        serialized: 'http://app.example.com:8080',
        scheme: 'http:',
        hostname: 'app.example.com',
        port: '8080',
      },
    ],
  ])('%s', (input, expected) => {
    expect(normaliseOrigin(input)).toEqual(expected);
  });

  it.each([
    'null',
    'NULL',
    '',
    'app.example.com',
    'file:///etc/passwd',
    'ftp://app.example.com',
    'chrome-extension://abcdef',
    'data:text/plain,hi',
    'ws://app.example.com',
    'https://',
    'not a url',
  ])('refuses %j', (input) => {
    expect(normaliseOrigin(input)).toBeNull();
  });
});

describe('parseOriginHeader', () => {
  it.each([
    ['https://app.example.com', 'https://app.example.com'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
    ['https://[2001:DB8::1]', 'https://[2001:db8::1]'],
    ['https://my_app.example.com', 'https://my_app.example.com'],
    ['https://xn--bcher-kva.example', 'https://xn--bcher-kva.example'],
    // Case and a default port are forgiven (R-ORIGIN-4), and the origin is normalised.
    ['HTTPS://APP.EXAMPLE.COM:443', 'https://app.example.com'],
    ['http://App.Example.com:80', 'http://app.example.com'],
    ['http://app.example.com:443', 'http://app.example.com:443'],
    ['  https://app.example.com  ', 'https://app.example.com'],
  ])('%j is the origin %s', (value, serialized) => {
    expect(parseOriginHeader(value)?.serialized).toBe(serialized);
  });

  it.each([
    // A path, even just "/": an Origin header is never a URL.
    'https://app.example.com/',
    'https://app.example.com/path',
    'https://app.example.com:443/path',
    // Userinfo, query, fragment.
    'https://user@app.example.com',
    'https://user:pw@app.example.com',
    'https://evil.example@app.example.com',
    'https://app.example.com?x=1',
    'https://app.example.com#x',
    // A backslash, which URL parsers read as a slash (a path) in http(s) URLs.
    'https://app.example.com\\@evil.example',
    'https://app.example.com\\',
    // Two Origin headers, joined by the runtime.
    'https://app.example.com, https://evil.example',
    'https://app.example.com,https://app.example.com',
    'https://app.example.com https://evil.example',
    // Hosts a URL parser rewrites: not the origin the value spells.
    'https://0x7f.1',
    'https://127.1',
    'https://2130706433',
    'https://[0:0:0:0:0:0:0:1]',
    'https://app%2eexample.com',
    'https://bücher.example',
    // Ports: empty, leading zero, too large, not digits.
    'https://app.example.com:',
    'https://app.example.com:0443',
    'https://app.example.com:99999',
    'https://app.example.com:44a',
    // Not an http(s) origin at all.
    'null',
    'app.example.com',
    'https:app.example.com',
    'https:/app.example.com',
    'https:///app.example.com',
    'ws://app.example.com',
    'chrome-extension://abcdefghijklmnop',
    'https://',
    'https://app.\texample.com',
    'https://app\u0000.example.com',
  ])('%j is not an origin', (value) => {
    expect(parseOriginHeader(value)).toBeNull();
  });
});

describe('canonicalOriginText', () => {
  // Every value of the parseOriginHeader cases above and more: checking the text against a list must decide
  // exactly as parsing would, for allowed origins spelled every way compileAllowedOrigins accepts.
  const values = [
    'https://app.example.com',
    'HTTPS://APP.EXAMPLE.COM:443',
    'http://App.Example.com:80',
    'http://app.example.com:443',
    'https://app.example.com:8443',
    '  https://app.example.com  ',
    'https://app.example.com.',
    'http://localhost:3000',
    'http://127.0.0.1:8080',
    'http://[::1]:8080',
    'https://[::1]',
    'https://[0:0:0:0:0:0:0:1]',
    'https://[2001:DB8::1]',
    'https://0x7f.1',
    'https://127.1',
    'https://2130706433',
    'https://app%2eexample.com',
    'https://app.example.com/',
    'https://app.example.com:',
    'https://app.example.com:0443',
    'https://app.example.com:99999',
    'https://app.example.com, https://evil.example',
    'https://evil.example',
    'null',
    'https://',
  ];
  const lists = [
    ['https://app.example.com'],
    ['http://app.example.com:443', 'https://app.example.com:8443'],
    ['http://localhost:3000', 'http://127.0.0.1:8080', 'https://[::1]'],
    ['https://[2001:db8::1]', 'https://app.example.com.', 'https://127.0.0.1'],
  ];
  it.each(lists)('decides as parsing would against %j', (...list) => {
    const allowed = compileAllowedOrigins(list);
    for (const value of values) {
      const parsed = parseOriginHeader(value);
      const text = canonicalOriginText(value);
      expect(text !== null && allowed.has(text), value).toBe(
        parsed !== null && allowed.has(parsed.serialized),
      );
    }
  });

  it('is the serialisation of every value that is an origin', () => {
    for (const value of values) {
      const parsed = parseOriginHeader(value);
      if (parsed !== null) expect(canonicalOriginText(value)).toBe(parsed.serialized);
    }
  });
});

describe('requestOrigin', () => {
  function request(headers: Record<string, string>): RelayRequest {
    return {
      method: 'POST',
      header: (name) => headers[name],
      clientAddress: '127.0.0.1',
      body: null,
    };
  }

  it('prefers Origin over Referer', () => {
    expect(
      requestOrigin(request({ origin: 'https://a.example', referer: 'https://b.example/page' })),
    ).toEqual({ origin: origin('https://a.example'), present: true });
  });

  it('falls back to the origin of Referer when Origin is absent or empty', () => {
    expect(
      requestOrigin(request({ referer: 'https://b.example/page?x=1' })).origin?.serialized,
    ).toBe('https://b.example');
    expect(
      requestOrigin(request({ origin: '', referer: 'https://b.example/page' })).origin?.serialized,
    ).toBe('https://b.example');
  });

  it('takes an Origin header only when it is an origin, while a Referer keeps its path, query and userinfo', () => {
    for (const value of [
      'https://a.example/page',
      'https://user@a.example',
      'https://a.example?x',
      'https://a.example\\x',
      'https://a.example, https://b.example',
    ]) {
      // A present Origin that is not an origin is refused as such; the Referer is no fallback for it.
      expect(requestOrigin(request({ origin: value, referer: 'https://a.example/page' }))).toEqual({
        origin: null,
        present: true,
      });
    }
    expect(
      requestOrigin(request({ referer: 'https://user:pw@A.example:443/page?x=1#f' })).origin
        ?.serialized,
    ).toBe('https://a.example');
  });

  it('reports a present but unusable origin as null, and no header as not present', () => {
    expect(requestOrigin(request({ origin: 'null' }))).toEqual({ origin: null, present: true });
    expect(requestOrigin(request({}))).toEqual({ origin: null, present: false });
    expect(requestOrigin(request({ origin: '', referer: '' }))).toEqual({
      origin: null,
      present: false,
    });
  });
});

describe('isSameOrigin', () => {
  it.each([
    ['https://app.example.com', 'app.example.com', true],
    ['https://app.example.com', 'APP.Example.com', true],
    ['https://app.example.com', 'app.example.com:443', true],
    // A Host without a port means the default port of the origin's scheme.
    ['http://app.example.com', 'app.example.com', true],
    ['http://app.example.com', 'app.example.com:80', true],
    ['https://app.example.com', 'app.example.com:80', false],
    ['http://app.example.com', 'app.example.com:443', false],
    ['http://localhost:3000', 'localhost:3000', true],
    ['http://localhost:3000', 'localhost', false],
    ['http://localhost:3000', 'localhost:3001', false],
    ['https://app.example.com', 'other.example.com', false],
    ['https://app.example.com', 'app.example.com.evil.test', false],
    ['http://[::1]:8080', '[::1]:8080', true],
    ['http://[::1]:8080', '[::1]', false],
    ['http://[::1]:8080', '[::2]:8080', false],
    ['http://127.0.0.1:8080', '127.0.0.1:8080', true],
  ])('%s vs Host %j → %s', (originValue, host, expected) => {
    expect(isSameOrigin(origin(originValue), host)).toBe(expected);
  });

  it.each([
    undefined,
    '',
    ' app.example.com',
    'app.example.com ',
    'app example.com',
    'app.example.com/path',
    'app.example.com/',
    'user@app.example.com',
    'user:pw@app.example.com',
    'app.example.com:443/x',
    'app.example.com?x',
    'app.example.com#x',
    'app.example.com:',
    'app.example.com:abc',
    'https://app.example.com',
  ])('a Host that is not a bare host[:port] (%j) is never the same origin', (host) => {
    expect(isSameOrigin(origin('https://app.example.com'), host)).toBe(false);
  });

  // These match the Host grammar the module checks (digits for a port, hex for an IPv6 literal), yet are
  // not valid hosts: the answer must still be `false`, not an exception (the relay would answer 500).
  it.each(['app.example.com:99999', '999.999.999.999', '[1:2]'])(
    'a malformed but Host-shaped value %j is not the same origin (and does not throw)',
    (host) => {
      expect(() => isSameOrigin(origin('https://app.example.com'), host)).not.toThrow();
      expect(isSameOrigin(origin('https://app.example.com'), host)).toBe(false);
    },
  );
});

describe('compileAllowedOrigins', () => {
  it('normalises every entry', () => {
    expect([
      ...compileAllowedOrigins([
        'HTTPS://App.Example.com:443',
        'http://localhost:3000/',
        'https://b.example/path',
      ]),
    ]).toEqual(['https://app.example.com', 'http://localhost:3000', 'https://b.example']);
  });

  it.each(['app.example.com', 'null', 'ftp://files.example.com', '*', ''])(
    'throws a TypeError naming %j',
    (entry) => {
      expect(() => compileAllowedOrigins(['https://ok.example', entry])).toThrow(TypeError);
      expect(() => compileAllowedOrigins(['https://ok.example', entry])).toThrow(
        `allowedOrigins: "${entry}" is not an http(s) origin`,
      );
    },
  );
});
