import { describe, expect, it } from 'vitest';
import type { UpstreamTransport } from '../delivery/transport.js';
import type { RelayRequest } from '../request.js';
import { describeVerdict, RECHECK_GUARD_MS, verdict } from '../scrub/recheck.testkit.js';
import {
  forwardableClientHint,
  forwardableUserAgent,
  forwardEnvelope,
  HEADER_PATTERNS,
  MAX_CLIENT_HINT_BYTES,
  MAX_USER_AGENT_BYTES,
  upstreamClient,
  type ForwardOptions,
} from './forward.js';
import { createTunnel } from './tunnel.js';

const CHROME_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const CHROME_BRANDS = '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"';

/** Every header a client could send that must never reach Sentry as it came, each with a value to look for. */
const HOSTILE: Record<string, string> = {
  cookie: 'session=cookie-secret',
  authorization: 'Bearer client-token',
  'x-sentry-auth': 'Sentry sentry_key=client-key',
  referer: 'https://app.example/reset?token=referer-secret',
  forwarded: 'for=198.51.100.1',
  'x-forwarded-for': '198.51.100.2',
  'x-forwarded-host': 'evil-host.example',
  'x-forwarded-proto': 'gopher',
  'x-real-ip': '198.51.100.3',
  'cf-connecting-ip': '198.51.100.4',
  'x-vercel-forwarded-for': '198.51.100.5',
  'x-sentry-forwarded-for': '198.51.100.6',
  'sec-ch-ua-mobile': '?0',
  'accept-language': 'de-CH',
};

function headerLookup(headers: Record<string, string>): Pick<RelayRequest, 'header'> {
  return { header: (name) => headers[name] };
}

/** A transport that records what it was asked to send and answers like Sentry. */
function recordingTransport(): {
  transport: UpstreamTransport;
  sent: { url: string; headers: Record<string, string> }[];
} {
  const sent: { url: string; headers: Record<string, string> }[] = [];
  return {
    sent,
    transport: {
      async post(url, headers) {
        sent.push({ url, headers: { ...headers } });
        const body = new TextEncoder().encode('{"id":"abc"}');
        return {
          status: 200,
          header: (name) => (name === 'content-type' ? 'application/json' : undefined),
          readSmall: async () => body,
        };
      },
    },
  };
}

const options = (transport: UpstreamTransport): ForwardOptions => ({
  transport,
  timeoutMs: 1000,
  userAgent: 'postern/test',
});

describe('upstreamClient', () => {
  it('sends the resolved client address as X-Sentry-Forwarded-For and X-Forwarded-For, alone, whatever the client claimed', () => {
    const client = upstreamClient(headerLookup(HOSTILE), {
      client: '203.0.113.9',
      origin: 'https://app.example',
    });
    expect(client.headers['x-sentry-forwarded-for']).toBe('203.0.113.9');
    expect(client.headers['x-forwarded-for']).toBe('203.0.113.9');
    expect(client.address).toBe('203.0.113.9');
  });

  it('sends an IPv6 client as the bare address Relay parses, without a zone', () => {
    expect(
      upstreamClient(headerLookup({}), { client: '2001:db8::1', origin: 'https://app.example' })
        .headers['x-sentry-forwarded-for'],
    ).toBe('2001:db8::1');
    expect(
      upstreamClient(headerLookup({}), { client: 'fe80::1%eth0', origin: 'https://app.example' })
        .headers['x-sentry-forwarded-for'],
    ).toBe('fe80::1');
  });

  it('sends no address at all when the socket gave none', () => {
    const { headers } = upstreamClient(headerLookup({}), {
      client: 'unknown',
      origin: 'https://app.example',
    });
    expect(headers['x-sentry-forwarded-for']).toBeUndefined();
    expect(headers['x-forwarded-for']).toBeUndefined();
  });

  it('sends the origin the gate checked, in serialised form, and never the Referer', () => {
    const fromOrigin = upstreamClient(
      headerLookup({ origin: 'HTTPS://App.Example:443', referer: 'https://app.example/a?t=1' }),
      { client: '127.0.0.1', origin: 'https://app.example' },
    );
    expect(fromOrigin.headers.origin).toBe('https://app.example');
    expect(fromOrigin.headers.referer).toBeUndefined();
    // A request with only a Referer: the gate checked the origin derived from it, and that is what goes.
    const fromReferer = upstreamClient(
      headerLookup({ referer: 'https://app.example/reset?token=abc' }),
      { client: '127.0.0.1', origin: 'https://app.example' },
    );
    expect(fromReferer.headers).toEqual({
      'x-sentry-forwarded-for': '127.0.0.1',
      'x-forwarded-for': '127.0.0.1',
      origin: 'https://app.example',
    });
  });

  it('sends the browser User-Agent and its four client hints Relay reads, as sent', () => {
    const browser = {
      'user-agent': CHROME_UA,
      'sec-ch-ua': CHROME_BRANDS,
      'sec-ch-ua-platform': '"macOS"',
      'sec-ch-ua-platform-version': '"14.4.1"',
      'sec-ch-ua-model': '""',
    };
    const { headers } = upstreamClient(headerLookup({ ...HOSTILE, ...browser }), {
      client: '127.0.0.1',
      origin: 'https://app.example',
    });
    expect(headers).toEqual({
      'x-sentry-forwarded-for': '127.0.0.1',
      'x-forwarded-for': '127.0.0.1',
      origin: 'https://app.example',
      ...browser,
    });
  });

  it('builds nothing from any other header of the client', () => {
    const { headers } = upstreamClient(headerLookup(HOSTILE), {
      client: '127.0.0.1',
      origin: 'https://app.example',
    });
    expect(Object.keys(headers).sort()).toEqual([
      'origin',
      'x-forwarded-for',
      'x-sentry-forwarded-for',
    ]);
    const text = JSON.stringify(headers);
    for (const value of Object.values(HOSTILE)) expect(text).not.toContain(value);
  });
});

describe('forwardableUserAgent', () => {
  it('drops a value with a non-ASCII byte at either end instead of trimming it to ASCII', () => {
    expect(forwardableUserAgent('\u00a0Mozilla/5.0\u00a0')).toBeUndefined();
    expect(forwardableClientHint('sec-ch-ua-platform', '\u00a0"Linux"')).toBeUndefined();
    expect(forwardableUserAgent(' \tMozilla/5.0 \t')).toBe('Mozilla/5.0');
  });

  it('takes a browser user agent, up to MAX_USER_AGENT_BYTES', () => {
    expect(forwardableUserAgent(CHROME_UA)).toBe(CHROME_UA);
    expect(
      forwardableUserAgent(`Mozilla/5.0 ${'x'.repeat(MAX_USER_AGENT_BYTES - 12)}`),
    ).toHaveLength(MAX_USER_AGENT_BYTES);
  });

  it('drops one that is longer (a 64 KiB one included), never cutting it', () => {
    expect(
      forwardableUserAgent(`Mozilla/5.0 ${'x'.repeat(MAX_USER_AGENT_BYTES - 11)}`),
    ).toBeUndefined();
    expect(forwardableUserAgent(`Mozilla/5.0 ${'A'.repeat(64 * 1024)}`)).toBeUndefined();
  });

  it('drops one that is empty or holds anything but visible ASCII, spaces and tabs', () => {
    for (const bad of [
      '',
      '   ',
      'Mozilla/5.0\r\nX-Injected: 1',
      'Mozilla/5.0\u0000',
      'Mozilla/5.0 (Ünïcode)',
      'Mozilla/5.0 \u007f',
    ]) {
      expect(forwardableUserAgent(bad), JSON.stringify(bad)).toBeUndefined();
    }
    expect(forwardableUserAgent(undefined)).toBeUndefined();
  });

  it(
    'matches in linear time (recheck)',
    async () => {
      for (const pattern of HEADER_PATTERNS)
        expect(describeVerdict(await verdict(pattern)), pattern.source).toMatch(/^safe/);
    },
    RECHECK_GUARD_MS,
  );
});

describe('forwardableClientHint', () => {
  it('takes the structured-field values browsers send', () => {
    expect(forwardableClientHint('sec-ch-ua', CHROME_BRANDS)).toBe(CHROME_BRANDS);
    expect(forwardableClientHint('sec-ch-ua', '"Not/A)Brand";v="8", "Chromium";v="126"')).toBe(
      '"Not/A)Brand";v="8", "Chromium";v="126"',
    );
    expect(forwardableClientHint('sec-ch-ua', '"Brand \\"quoted\\"";v="1"')).toBe(
      '"Brand \\"quoted\\"";v="1"',
    );
    expect(forwardableClientHint('sec-ch-ua-platform', '"Windows"')).toBe('"Windows"');
    expect(forwardableClientHint('sec-ch-ua-platform-version', '"15.0.0"')).toBe('"15.0.0"');
    expect(forwardableClientHint('sec-ch-ua-model', '"Pixel 7"')).toBe('"Pixel 7"');
    expect(forwardableClientHint('sec-ch-ua-model', '""')).toBe('""');
  });

  it('drops values that are not their structured field, or are longer than MAX_CLIENT_HINT_BYTES', () => {
    expect(forwardableClientHint('sec-ch-ua', 'not a structured field')).toBeUndefined();
    expect(forwardableClientHint('sec-ch-ua', '"Chromium";v="124",')).toBeUndefined();
    expect(forwardableClientHint('sec-ch-ua-platform', 'macOS')).toBeUndefined();
    // Two headers joined by the adapter: a list, where one string belongs.
    expect(forwardableClientHint('sec-ch-ua-platform', '"macOS", "Windows"')).toBeUndefined();
    expect(forwardableClientHint('sec-ch-ua-platform', '"mac\u00f6S"')).toBeUndefined();
    expect(forwardableClientHint('sec-ch-ua-model', '"unterminated')).toBeUndefined();
    expect(forwardableClientHint('sec-ch-ua-model', '"bad \\escape"')).toBeUndefined();
    expect(forwardableClientHint('sec-ch-ua', '"Chromium";V="124"')).toBeUndefined();
    expect(forwardableClientHint('sec-ch-ua', '"Chromium";v=124')).toBeUndefined();
    expect(forwardableClientHint('sec-ch-ua', '"Chromium" "Edge"')).toBeUndefined();
    expect(forwardableClientHint('sec-ch-ua', '"Chromium";v="124",\t"Edge";v="124"')).toBe(
      '"Chromium";v="124",\t"Edge";v="124"',
    );
    const long = `"${'x'.repeat(MAX_CLIENT_HINT_BYTES - 1)}"`;
    expect(long.length).toBe(MAX_CLIENT_HINT_BYTES + 1);
    expect(forwardableClientHint('sec-ch-ua-model', long)).toBeUndefined();
    expect(forwardableClientHint('sec-ch-ua-model', long.slice(1))).toBeUndefined();
    expect(
      forwardableClientHint('sec-ch-ua-model', `"${'x'.repeat(MAX_CLIENT_HINT_BYTES - 2)}"`),
    ).toHaveLength(MAX_CLIENT_HINT_BYTES);
  });

  it('answers a long hostile value in linear time', () => {
    const started = performance.now();
    for (let i = 0; i < 200; i++)
      forwardableClientHint('sec-ch-ua', `${`"a";v="1", `.repeat(22)}"a";v=`);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('forwardEnvelope', () => {
  it('sends exactly the envelope content type and what upstreamClient built', async () => {
    const { transport, sent } = recordingTransport();
    const client = upstreamClient(
      headerLookup({ ...HOSTILE, 'user-agent': CHROME_UA, 'sec-ch-ua-platform': '"macOS"' }),
      { client: '203.0.113.9', origin: 'https://app.example' },
    );
    const answer = await forwardEnvelope(
      'http://sentry.test/api/42/envelope/',
      new Uint8Array([0x7b, 0x7d]),
      client,
      options(transport),
    );
    expect(answer).toMatchObject({ ok: true, status: 200 });
    expect(sent[0]?.headers).toEqual({
      'content-type': 'application/x-sentry-envelope',
      'user-agent': CHROME_UA,
      'x-sentry-forwarded-for': '203.0.113.9',
      'x-forwarded-for': '203.0.113.9',
      origin: 'https://app.example',
      'sec-ch-ua-platform': '"macOS"',
    });
  });

  it("sends the relay's own User-Agent when the client's is dropped or missing", async () => {
    const { transport, sent } = recordingTransport();
    const huge = upstreamClient(headerLookup({ 'user-agent': 'A'.repeat(64 * 1024) }), {
      client: '127.0.0.1',
      origin: 'https://app.example',
    });
    await forwardEnvelope('http://sentry.test/', new Uint8Array(), huge, options(transport));
    await forwardEnvelope(
      'http://sentry.test/',
      new Uint8Array(),
      upstreamClient(headerLookup({}), { client: '127.0.0.1', origin: 'https://app.example' }),
      options(transport),
    );
    expect(sent.map((request) => request.headers['user-agent'])).toEqual([
      'postern/test',
      'postern/test',
    ]);
  });

  it('takes a bare address for a client of which nothing else is known', async () => {
    const { transport, sent } = recordingTransport();
    await forwardEnvelope(
      'http://sentry.test/',
      new Uint8Array(),
      '2001:db8::7',
      options(transport),
    );
    expect(sent[0]?.headers).toEqual({
      'content-type': 'application/x-sentry-envelope',
      'user-agent': 'postern/test',
      'x-sentry-forwarded-for': '2001:db8::7',
      'x-forwarded-for': '2001:db8::7',
    });
  });
});

describe('the tunnel forwards what its gate resolved', () => {
  const dsn = 'http://k1@sentry.test/42';
  const envelope = `${JSON.stringify({ dsn })}\n{"type":"event"}\n{"message":"hi"}\n`;
  const post = (headers: Record<string, string>, clientAddress = '127.0.0.1'): RelayRequest => ({
    method: 'POST',
    header: (name) => headers[name],
    clientAddress,
    body: envelope,
  });

  it('without trusted proxies: the socket peer, never the X-Forwarded-For or CF-Connecting-IP a client sends', async () => {
    const { transport, sent } = recordingTransport();
    const tunnel = createTunnel({
      dsns: [dsn],
      allowedOrigins: ['https://app.example'],
      transport,
    });
    const response = await tunnel.handle(post({ origin: 'https://app.example', ...HOSTILE }));
    expect(response.status).toBe(200);
    expect(sent[0]?.headers['x-sentry-forwarded-for']).toBe('127.0.0.1');
    expect(sent[0]?.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(sent[0]?.headers.origin).toBe('https://app.example');
    expect(Object.keys(sent[0]?.headers ?? {}).sort()).toEqual([
      'content-type',
      'origin',
      'user-agent',
      'x-forwarded-for',
      'x-sentry-forwarded-for',
    ]);
  });

  it('behind a trusted proxy: the client it names, alone, and the same in every mirror copy', async () => {
    const { transport, sent } = recordingTransport();
    const tunnel = createTunnel({
      dsns: [{ dsn, forwardTo: [dsn, 'http://k2@sentry.test/43'] }],
      allowedOrigins: ['https://app.example'],
      trustProxy: ['loopback'],
      transport,
    });
    await tunnel.handle(
      post({
        origin: 'https://app.example',
        'x-forwarded-for': '198.51.100.23, 203.0.113.9',
        'user-agent': CHROME_UA,
      }),
    );
    await tunnel.close();
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      expect(request.headers['x-sentry-forwarded-for']).toBe('203.0.113.9');
      expect(request.headers['x-forwarded-for']).toBe('203.0.113.9');
      expect(request.headers['user-agent']).toBe(CHROME_UA);
    }
  });

  it('a same-origin request: the origin checked against Host, serialised', async () => {
    const { transport, sent } = recordingTransport();
    const tunnel = createTunnel({ dsns: [dsn], transport });
    await tunnel.handle(post({ origin: 'HTTP://Shop.Example:80', host: 'shop.example' }));
    expect(sent[0]?.headers.origin).toBe('http://shop.example');
  });
});
