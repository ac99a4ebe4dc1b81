import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayRequest } from '../request.js';
import type { MirrorResult } from './options.js';
import { createTunnel } from './tunnel.js';

interface Received {
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

const servers: Server[] = [];

/** A loopback upstream that records requests; `hold` leaves the ones for a path unanswered. */
async function upstream(hold?: string): Promise<{ host: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
    if (hold !== undefined && req.url?.startsWith(hold)) return;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id":"abc"}');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function post(body: Uint8Array | string, headers: Record<string, string> = {}): RelayRequest {
  const all: Record<string, string> = { origin: 'https://app.example', ...headers };
  return { method: 'POST', header: (name) => all[name], clientAddress: '127.0.0.1', body };
}

const envelope = (dsn: string, items = '{"type":"event"}\n{"message":"hi"}\n'): string =>
  `${JSON.stringify({ dsn, trace: { public_key: 'k1', trace_id: 't' } })}\n${items}`;

describe('createTunnel', () => {
  it('refuses to start without DSNs, naming the option', () => {
    expect(() => createTunnel({ dsns: [] })).toThrow(/dsns is required/);
    expect(() => createTunnel({} as never)).toThrow(/dsns is required/);
    expect(() => createTunnel({ dsns: ['https://o1.ingest.sentry.io/42'] })).toThrow(
      /dsns\[0\].*not a Sentry DSN/,
    );
    expect(() => createTunnel({ dsns: [{ dsn: 'https://k@h/1', forwardTo: [] }] })).toThrow(
      /forwardTo/,
    );
  });

  it('forwards the envelope byte for byte to the URL built from the configured DSN', async () => {
    const sink = await upstream();
    const dsn = `http://k1@${sink.host}/42`;
    const tunnel = createTunnel({ dsns: [dsn], allowedOrigins: ['https://app.example'] });
    const body = Buffer.concat([
      Buffer.from(envelope(dsn, '')),
      Buffer.from('{"type":"attachment","length":4}\n'),
      Buffer.from([0xff, 0x0a, 0x00, 0xfe]),
      Buffer.from('\n'),
    ]);
    const response = await tunnel.handle(post(body, { cookie: 'a=b' }));
    expect(response.status).toBe(200);
    expect(response.body).toBe('{"id":"abc"}');
    expect(sink.received).toHaveLength(1);
    expect(sink.received[0]?.url).toBe('/api/42/envelope/?sentry_version=7&sentry_key=k1');
    expect(sink.received[0]?.body.equals(body)).toBe(true);
    expect(sink.received[0]?.headers.cookie).toBeUndefined();
    expect(sink.received[0]?.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it('answers with the primary without waiting for a mirror that never answers, and close() waits for it', async () => {
    const sink = await upstream('/api/43/');
    const inbound = `http://k1@${sink.host}/42`;
    const results: MirrorResult[] = [];
    const tunnel = createTunnel({
      dsns: [{ dsn: inbound, forwardTo: [inbound, `http://k2@${sink.host}/43`] }],
      allowedOrigins: ['https://app.example'],
      upstreamTimeoutMs: 300,
      onMirrorResult: (result) => results.push(result),
    });
    const response = await tunnel.handle(post(envelope(inbound)));
    expect(response.status).toBe(200);
    expect(results).toEqual([]);
    await tunnel.close();
    expect(results).toEqual([
      { dsn: `http://k2@${sink.host}/43`, ok: false, code: 'upstream_timeout' },
    ]);
    const copy = sink.received.find((request) => request.url.startsWith('/api/43/'));
    const header = JSON.parse(copy?.body.toString('utf8').split('\n')[0] ?? '{}');
    expect(header).toEqual({
      dsn: `http://k2@${sink.host}/43`,
      trace: { public_key: 'k2', trace_id: 't' },
    });
  });

  it('refuses an encoded body with 415 on a runtime without DecompressionStream, and takes it unencoded', async () => {
    const sink = await upstream();
    const dsn = `http://k1@${sink.host}/42`;
    const original = globalThis.DecompressionStream;
    Reflect.deleteProperty(globalThis, 'DecompressionStream');
    try {
      const tunnel = createTunnel({ dsns: [dsn], allowedOrigins: ['https://app.example'] });
      const refused = await tunnel.handle(
        post(gzipSync(Buffer.from(envelope(dsn))), { 'content-encoding': 'gzip' }),
      );
      expect(refused.status).toBe(415);
      expect(JSON.parse(refused.body ?? '{}')).toMatchObject({ error: 'unsupported_media_type' });
      expect((await tunnel.handle(post(envelope(dsn)))).status).toBe(200);
      expect(sink.received).toHaveLength(1);
    } finally {
      globalThis.DecompressionStream = original;
    }
  });

  it('stops inflating a gzip bomb at the limit and refuses a truncated gzip body', async () => {
    const sink = await upstream();
    const dsn = `http://k1@${sink.host}/42`;
    const tunnel = createTunnel({
      dsns: [dsn],
      allowedOrigins: ['https://app.example'],
      maxEnvelopeBytes: 1024 * 1024,
    });
    const bomb = gzipSync(
      Buffer.concat([Buffer.from(envelope(dsn)), Buffer.alloc(64 * 1024 * 1024)]),
    );
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const refused = await tunnel.handle(post(bomb, { 'content-encoding': 'gzip' }));
    expect(refused.status).toBe(413);
    const whole = gzipSync(Buffer.from(envelope(dsn)));
    const truncated = await tunnel.handle(
      post(whole.subarray(0, whole.length - 6), { 'content-encoding': 'gzip' }),
    );
    expect(JSON.parse(truncated.body ?? '{}').error).toBe('encoding_invalid');
    expect(sink.received).toHaveLength(0);
  });
});
