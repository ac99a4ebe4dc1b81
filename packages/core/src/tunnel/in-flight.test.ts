import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayBody, RelayRequest, RelayResponse } from '../request.js';
import type { TunnelOptions } from './options.js';
import { createTunnel, type Tunnel } from './tunnel.js';

/**
 * The tunnel's in-flight budget (maxDecodedBytesInFlight, maxDecodedBytesPerClient) as requests see it:
 * what is held while an envelope is read, decoded and forwarded, what is refused with 503
 * capacity_exceeded, and that every way a request can end gives its bytes back.
 */

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/**
 * A loopback Sentry: project 42 answers 200; 43 holds each request until `release()`; 500 answers 500;
 * 302 answers a redirect. `arrived` counts requests whose body has fully arrived.
 */
async function sentry(): Promise<{ host: string; arrived: () => number; release: () => void }> {
  let arrived = 0;
  const held: ServerResponse[] = [];
  const server = createServer(async (req, res) => {
    for await (const _chunk of req);
    arrived++;
    const project = /^\/api\/(\d+)\//.exec(req.url ?? '')?.[1];
    if (project === '43') return void held.push(res);
    if (project === '500') return void res.writeHead(500).end();
    if (project === '302')
      return void res.writeHead(302, { location: 'http://elsewhere.test/' }).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"abc"}');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrived: () => arrived,
    release() {
      for (const res of held.splice(0))
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"late"}');
    },
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function post(
  body: RelayBody,
  headers: Record<string, string> = {},
  clientAddress = '127.0.0.1',
): RelayRequest {
  const all: Record<string, string> = { origin: 'https://app.example', ...headers };
  return { method: 'POST', header: (name) => all[name], clientAddress, body };
}

/** An envelope for `dsn` of exactly `size` bytes (an attachment item padded with spaces). */
function envelopeOf(dsn: string | null, size: number): Buffer {
  const head = Buffer.from(
    `${dsn === null ? '{}' : JSON.stringify({ dsn })}\n{"type":"attachment"}\n`,
  );
  return Buffer.concat([head, Buffer.alloc(size - head.length, 0x20)]);
}

function codeOf(response: RelayResponse): string | undefined {
  return response.body === null
    ? undefined
    : (JSON.parse(response.body) as { error?: string }).error;
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function expectNothingHeld(tunnel: Tunnel, after: string): void {
  expect({ held: tunnel.inFlight.held(), open: tunnel.inFlight.open(), after }).toEqual({
    held: 0,
    open: 0,
    after,
  });
}

function tunnelFor(host: string, options: Partial<TunnelOptions> = {}): Tunnel {
  return createTunnel({
    dsns: [
      `http://k1@${host}/42`,
      `http://k1@${host}/43`,
      `http://k1@${host}/500`,
      `http://k1@${host}/302`,
    ],
    allowedOrigins: ['https://app.example'],
    ...options,
  });
}

describe('tunnel in-flight budget: what a request holds', () => {
  it("holds an envelope's bytes while it is forwarded (decoded size for gzip), and gives them back once the upstream answers", async () => {
    const upstream = await sentry();
    const tunnel = tunnelFor(upstream.host);
    const plain = envelopeOf(`http://k1@${upstream.host}/43`, 300_000);
    for (const [body, headers] of [
      [plain, {}],
      [gzipSync(plain), { 'content-encoding': 'gzip' }],
    ] as const) {
      const before = upstream.arrived();
      const pending = tunnel.handle(post(body, headers));
      await waitFor(() => upstream.arrived() === before + 1, 'the envelope at the upstream');
      expect([
        tunnel.inFlight.held(),
        tunnel.inFlight.heldBy('127.0.0.1'),
        tunnel.inFlight.open(),
      ]).toEqual([300_000, 300_000, 1]);
      upstream.release();
      expect((await pending).status).toBe(200);
      expectNothingHeld(tunnel, 'the upstream answered');
    }
  });

  it('holds the bytes until every mirror copy has settled, counting a copy rewritten for another project', async () => {
    const upstream = await sentry();
    const inbound = `http://k1@${upstream.host}/42`;
    const tunnel = createTunnel({
      dsns: [{ dsn: inbound, forwardTo: [inbound, `http://k2@${upstream.host}/43`] }],
      allowedOrigins: ['https://app.example'],
    });
    const envelope = envelopeOf(inbound, 100_000);
    const response = await tunnel.handle(post(envelope));
    expect(response.status).toBe(200);
    // The answer is the primary's; the copy to project 43 is still waiting, and so are its bytes and the original's.
    await waitFor(() => upstream.arrived() === 2, 'the mirror copy at the upstream');
    const copy = envelope.length - inbound.length + `http://k2@${upstream.host}/43`.length;
    expect([tunnel.inFlight.held(), tunnel.inFlight.open()]).toEqual([100_000 + copy, 1]);
    upstream.release();
    await tunnel.close();
    expectNothingHeld(tunnel, 'the mirror copy settled');
  });
});

describe('tunnel in-flight budget: refusals', () => {
  it("refuses with 503 capacity_exceeded and Retry-After past the client's share, while other clients still pass", async () => {
    const upstream = await sentry();
    const tunnel = tunnelFor(upstream.host, {
      maxEnvelopeBytes: 40_000,
      maxDecodedBytesPerClient: 60_000,
      maxDecodedBytesInFlight: 100_000,
    });
    const held = `http://k1@${upstream.host}/43`;
    const first = tunnel.handle(post(envelopeOf(held, 40_000)));
    await waitFor(() => upstream.arrived() === 1, 'the first envelope at the upstream');

    // Same client, 30 000 more: over its share of 60 000. Declared, so refused before a byte is read;
    // streamed, at the chunk that passes it.
    const chunks = (size: number): AsyncIterable<Uint8Array> => {
      const whole = envelopeOf(`http://k1@${upstream.host}/42`, size);
      return (async function* () {
        for (let offset = 0; offset < whole.length; offset += 4096)
          yield whole.subarray(offset, offset + 4096);
      })();
    };
    for (const request of [
      post(envelopeOf(held, 30_000), { 'content-length': '30000' }),
      post(chunks(30_000)),
    ]) {
      const refused = await tunnel.handle(request);
      expect([refused.status, codeOf(refused), refused.headers['retry-after']]).toEqual([
        503,
        'capacity_exceeded',
        '1',
      ]);
      expect(refused.body).toMatch(/client's requests in flight may hold 60000 bytes/);
    }
    expect(tunnel.inFlight.held()).toBe(40_000);
    // Another address (IPv6: a /64 is one client, as for the rate limit) still gets through, up to the budget.
    const second = tunnel.handle(post(envelopeOf(held, 40_000), {}, '2001:db8::1'));
    await waitFor(() => upstream.arrived() === 2, 'the second envelope at the upstream');
    const sameSlash64 = await tunnel.handle(post(envelopeOf(held, 30_000), {}, '2001:db8::2'));
    expect([sameSlash64.status, codeOf(sameSlash64)]).toEqual([503, 'capacity_exceeded']);
    const overBudget = await tunnel.handle(post(chunks(30_000), {}, '198.51.100.7'));
    expect([overBudget.status, codeOf(overBudget)]).toEqual([503, 'capacity_exceeded']);
    expect(overBudget.body).toMatch(/All requests in flight may hold 100000 bytes/);
    expect(tunnel.inFlight.held()).toBe(80_000);
    const small = await tunnel.handle(
      post(envelopeOf(`http://k1@${upstream.host}/42`, 15_000), {}, '198.51.100.7'),
    );
    expect(small.status).toBe(200);

    upstream.release();
    expect([(await first).status, (await second).status]).toEqual([200, 200]);
    expectNothingHeld(tunnel, 'both held envelopes answered');
    const again = await tunnel.handle(post(chunks(30_000), {}, '198.51.100.7'));
    expect(again.status).toBe(200);
  });

  it('refuses a gzip bomb on its compression ratio long before maxEnvelopeBytes, holding at most 100 times its size', async () => {
    const upstream = await sentry();
    const tunnel = tunnelFor(upstream.host);
    const bomb = gzipSync(envelopeOf(`http://k1@${upstream.host}/42`, 20 * 1024 * 1024 - 1), {
      level: 9,
    });
    expect(bomb.length).toBeLessThan(30_000);
    let most = 0;
    const watch = setInterval(() => {
      most = Math.max(most, tunnel.inFlight.held());
    }, 0);
    const refused = await tunnel.handle(
      post(bomb, { 'content-encoding': 'gzip', 'content-length': String(bomb.length) }),
    );
    clearInterval(watch);
    expect([refused.status, codeOf(refused)]).toEqual([413, 'payload_too_large']);
    expect(refused.body).toMatch(/more than 100 times its size on the wire/);
    // With its Content-Length known, decoding stops once the output passes 100 × ~20 KB: about 2 MB, not 20 MiB.
    expect(most).toBeLessThanOrEqual(Math.max(1024 * 1024, 100 * bomb.length));
    expect(upstream.arrived()).toBe(0);
  });

  it('takes an envelope of maxEnvelopeBytes with the defaults (20 MiB, one client alone), so the share never refuses what the size limit allows', async () => {
    const upstream = await sentry();
    const tunnel = tunnelFor(upstream.host);
    const response = await tunnel.handle(post(envelopeOf(null, 20 * 1024 * 1024)));
    expect([response.status, codeOf(response)]).toEqual([400, 'dsn_missing']);
    expectNothingHeld(tunnel, 'a 20 MiB envelope');
  });
});

describe('tunnel in-flight budget: every way a request ends gives its bytes back', () => {
  it.each([
    ['forwarded (200)', 200, undefined],
    ['the upstream answered 500', 500, undefined],
    ['the upstream redirected (502 upstream_error)', 502, 'upstream_error'],
    ['the upstream was unreachable (502 upstream_unreachable)', 502, 'upstream_unreachable'],
    ['the upstream timed out (504 upstream_timeout)', 504, 'upstream_timeout'],
    ['too large on the wire (413)', 413, 'payload_too_large'],
    ['too large once decoded (413)', 413, 'payload_too_large'],
    ['over the compression ratio (413)', 413, 'payload_too_large'],
    ['not gzip (400 encoding_invalid)', 400, 'encoding_invalid'],
    ['the client went away mid-body (400 body_incomplete)', 400, 'body_incomplete'],
    ['the client went away mid-gzip (400 body_incomplete)', 400, 'body_incomplete'],
    ['no envelope header (400 envelope_invalid)', 400, 'envelope_invalid'],
    ['no dsn (400 dsn_missing)', 400, 'dsn_missing'],
    ['a malformed dsn (400 dsn_invalid)', 400, 'dsn_invalid'],
    ['a dsn not configured (403 dsn_not_allowed)', 403, 'dsn_not_allowed'],
    ['an item scrubbing cannot read (400 envelope_invalid)', 400, 'envelope_invalid'],
    ['over the budget (503 capacity_exceeded)', 503, 'capacity_exceeded'],
    ['the tunnel threw (500 internal_error)', 500, 'internal_error'],
  ] as const)('%s', async (name, status, code) => {
    const upstream = await sentry();
    const unreachable = await closedPort();
    const dsn = (project: string, host = upstream.host): string => `http://k1@${host}/${project}`;
    const failing = async function* (chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
      for (const chunk of chunks) yield chunk;
      throw new Error('the client went away');
    };
    const gzipped = gzipSync(envelopeOf(dsn('42'), 50_000));
    const options: Partial<TunnelOptions> = {
      maxEnvelopeBytes: 1024 * 1024,
      maxDecodedBytesInFlight: 2 * 1024 * 1024,
    };
    let request: RelayRequest;
    switch (name) {
      case 'forwarded (200)':
        request = post(envelopeOf(dsn('42'), 10_000));
        break;
      case 'the upstream answered 500':
        request = post(envelopeOf(dsn('500'), 10_000));
        break;
      case 'the upstream redirected (502 upstream_error)':
        request = post(envelopeOf(dsn('302'), 10_000));
        break;
      case 'the upstream was unreachable (502 upstream_unreachable)':
        options.dsns = [dsn('42', `127.0.0.1:${unreachable}`)];
        request = post(envelopeOf(dsn('42', `127.0.0.1:${unreachable}`), 10_000));
        break;
      case 'the upstream timed out (504 upstream_timeout)':
        options.upstreamTimeoutMs = 100;
        request = post(envelopeOf(dsn('43'), 10_000));
        break;
      case 'too large on the wire (413)':
        request = post(failing([envelopeOf(dsn('42'), 600_000), Buffer.alloc(600_000)]));
        break;
      case 'too large once decoded (413)':
        options.maxCompressionRatio = 0;
        request = post(gzipSync(envelopeOf(dsn('42'), 3 * 1024 * 1024)), {
          'content-encoding': 'gzip',
        });
        break;
      case 'over the compression ratio (413)':
        options.maxEnvelopeBytes = 4 * 1024 * 1024;
        options.maxDecodedBytesInFlight = 8 * 1024 * 1024;
        request = post(gzipSync(envelopeOf(dsn('42'), 3 * 1024 * 1024), { level: 9 }), {
          'content-encoding': 'gzip',
        });
        break;
      case 'not gzip (400 encoding_invalid)':
        request = post(envelopeOf(dsn('42'), 10_000), { 'content-encoding': 'gzip' });
        break;
      case 'the client went away mid-body (400 body_incomplete)':
        request = post(failing([envelopeOf(dsn('42'), 10_000)]));
        break;
      case 'the client went away mid-gzip (400 body_incomplete)':
        request = post(failing([gzipped.subarray(0, 200)]), { 'content-encoding': 'gzip' });
        break;
      case 'no envelope header (400 envelope_invalid)':
        request = post(Buffer.alloc(10_000, 0x20));
        break;
      case 'no dsn (400 dsn_missing)':
        request = post(envelopeOf(null, 10_000));
        break;
      case 'a malformed dsn (400 dsn_invalid)':
        request = post(envelopeOf('not a dsn', 10_000));
        break;
      case 'a dsn not configured (403 dsn_not_allowed)':
        request = post(envelopeOf(dsn('99'), 10_000));
        break;
      case 'an item scrubbing cannot read (400 envelope_invalid)':
        options.scrub = { rules: ['@email'] };
        request = post(
          `${JSON.stringify({ dsn: dsn('42') })}\n{"type":"event","length":999999}\n{}`,
        );
        break;
      case 'over the budget (503 capacity_exceeded)':
        options.maxDecodedBytesInFlight = 1536 * 1024;
        request = post(envelopeOf(dsn('42'), 1024 * 1024), {
          'content-length': String(1024 * 1024),
        });
        break;
      case 'the tunnel threw (500 internal_error)':
        // A logger that throws where the tunnel logs a failed delivery: the throw escapes the pipeline.
        options.logger = {
          warn() {
            throw new Error('logger down');
          },
          error() {},
        };
        request = post(envelopeOf(dsn('42', `127.0.0.1:${unreachable}`), 10_000));
        options.dsns = [dsn('42', `127.0.0.1:${unreachable}`)];
        break;
    }
    const tunnel = tunnelFor(upstream.host, options);
    if (code === 'capacity_exceeded') {
      // Another client's request holds most of the budget, so this one does not fit.
      const other = tunnel.handle(post(envelopeOf(dsn('43'), 1024 * 1024), {}, '198.51.100.9'));
      await waitFor(() => upstream.arrived() === 1, 'the other envelope at the upstream');
      const response = await tunnel.handle(request);
      expect([response.status, codeOf(response)]).toEqual([status, code]);
      expect(tunnel.inFlight.heldBy('127.0.0.1')).toBe(0);
      upstream.release();
      await other;
      expectNothingHeld(tunnel, name);
      return;
    }
    const response = await tunnel.handle(request);
    expect([response.status, codeOf(response)]).toEqual([status, code]);
    // Released once the primary's answer (and the copies, none here) have settled: by the time the answer is out.
    await waitFor(() => tunnel.inFlight.open() === 0, 'the lease to be released');
    expectNothingHeld(tunnel, name);
  });

  it('takes no lease for what the gate or the headers refuse (405, 403, 415, 413 by Content-Length, 429)', async () => {
    const upstream = await sentry();
    const tunnel = tunnelFor(upstream.host, {
      maxEnvelopeBytes: 1000,
      rateLimit: { limit: 1, windowMs: 60_000 },
    });
    const answers = [
      await tunnel.handle({ ...post('x'), method: 'PUT' }),
      await tunnel.handle(post('x', { origin: 'https://evil.test' })),
      await tunnel.handle(post('x', { 'content-type': 'application/json' }, '198.51.100.1')),
      await tunnel.handle(post('x', { 'content-length': '5000' }, '198.51.100.2')),
      await tunnel.handle(post('x', {}, '198.51.100.2')),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([405, 403, 415, 413, 429]);
    expectNothingHeld(tunnel, 'refusals before the body');
  });
});

describe('tunnel in-flight budget: configuration', () => {
  const dsns = ['https://k@o1.ingest.sentry.io/1'];

  it('defaults to 64 MiB in flight and a quarter per client, but never below maxEnvelopeBytes', () => {
    expect(() => createTunnel({ dsns })).not.toThrow();
    // 100 MiB envelopes: the budget and the share grow to one of them rather than refuse every such envelope.
    expect(() => createTunnel({ dsns, maxEnvelopeBytes: 100 * 1024 * 1024 })).not.toThrow();
    expect(() =>
      createTunnel({
        dsns,
        maxEnvelopeBytes: 1024,
        maxDecodedBytesInFlight: 4096,
        maxDecodedBytesPerClient: 1024,
      }),
    ).not.toThrow();
  });

  it('refuses limits that could never let an envelope of maxEnvelopeBytes through, naming the option', () => {
    expect(() =>
      createTunnel({ dsns, maxEnvelopeBytes: 2048, maxDecodedBytesInFlight: 1024 }),
    ).toThrow(/^maxDecodedBytesInFlight must be at least maxEnvelopeBytes \(2048\)/);
    expect(() =>
      createTunnel({ dsns, maxEnvelopeBytes: 2048, maxDecodedBytesPerClient: 1024 }),
    ).toThrow(
      /^maxDecodedBytesPerClient must be between maxEnvelopeBytes \(2048\) and maxDecodedBytesInFlight/,
    );
    expect(() =>
      createTunnel({
        dsns,
        maxDecodedBytesInFlight: 30 * 1024 * 1024,
        maxDecodedBytesPerClient: 40 * 1024 * 1024,
      }),
    ).toThrow(/^maxDecodedBytesPerClient/);
    expect(() => createTunnel({ dsns, maxDecodedBytesInFlight: 0 })).toThrow(
      /^maxDecodedBytesInFlight must be a whole number above 0/,
    );
    expect(() => createTunnel({ dsns, maxCompressionRatio: 0.5 })).toThrow(
      /^maxCompressionRatio must be 0 \(no limit\) or a number from 1 up/,
    );
    expect(() => createTunnel({ dsns, maxCompressionRatio: Number.NaN })).toThrow(
      /^maxCompressionRatio/,
    );
    expect(() => createTunnel({ dsns, maxCompressionRatio: 0 })).not.toThrow();
  });
});
