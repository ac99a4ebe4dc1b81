import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayRequest } from '../request.js';
import { createTunnel } from './tunnel.js';

// The item options through the whole tunnel: what reaches a real loopback upstream, and what the answer
// (and its summary) says. The item pass itself is tested in item-rules.test.ts.

interface Received {
  url: string;
  body: Buffer;
}

const servers: Server[] = [];

async function upstream(): Promise<{ host: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({ url: req.url ?? '', body: Buffer.concat(chunks) });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id":"from-upstream"}');
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

function post(body: Uint8Array | string): RelayRequest {
  const headers: Record<string, string> = { origin: 'https://app.example' };
  return { method: 'POST', header: (name) => headers[name], clientAddress: '127.0.0.1', body };
}

function item(type: string, payload: string): string {
  return `${JSON.stringify({ type, length: Buffer.byteLength(payload) })}\n${payload}\n`;
}

const EVENT_ID = '9ec79c33ec9942ab8353589fcb2e04dc';
const head = (dsn: string, extra: Record<string, unknown> = {}): string =>
  `${JSON.stringify({ event_id: EVENT_ID, dsn, ...extra })}\n`;

describe('the tunnel with item options', () => {
  it('forwards what is left, to the primary and to every mirror, and counts what it removed in the summary', async () => {
    const sink = await upstream();
    const dsn = `http://k1@${sink.host}/42`;
    const tunnel = createTunnel({
      dsns: [{ dsn, forwardTo: [dsn, `http://k2@${sink.host}/43`] }],
      allowedOrigins: ['https://app.example'],
      dropItems: ['replay_event', 'replay_recording'],
      eventFilters: { errorMessages: ['*ResizeObserver loop*'] },
    });
    const event = '{"message":"Payment failed","release":"web@1"}';
    const response = await tunnel.handle(
      post(
        `${head(dsn)}${item('event', event)}${item('replay_event', '{}')}${item('replay_recording', 'rr')}`,
      ),
    );
    await tunnel.close();
    expect(response.status).toBe(200);
    expect(response.body).toBe('{"id":"from-upstream"}');
    expect(response.summary).toEqual({ dropped: { item_type: 2 } });
    expect(sink.received).toHaveLength(2);
    const primary = sink.received.find((request) => request.url.startsWith('/api/42/'));
    const mirror = sink.received.find((request) => request.url.startsWith('/api/43/'));
    expect(primary?.body.toString()).toBe(`${head(dsn)}${item('event', event)}`);
    expect(mirror?.body.toString()).toContain(item('event', event));
    expect(mirror?.body.toString()).not.toContain('replay');
  });

  it('answers an envelope it emptied itself, 200 with the event id, and sends nothing anywhere', async () => {
    const sink = await upstream();
    const dsn = `http://k1@${sink.host}/42`;
    const tunnel = createTunnel({
      dsns: [{ dsn, forwardTo: [dsn, `http://k2@${sink.host}/43`] }],
      allowedOrigins: ['https://app.example'],
      eventFilters: { errorMessages: ['*ResizeObserver loop*'] },
    });
    const filtered =
      '{"exception":{"values":[{"type":"Error","value":"ResizeObserver loop limit exceeded"}]}}';
    const response = await tunnel.handle(
      post(`${head(dsn)}${item('event', filtered)}${item('attachment', 'screenshot')}`),
    );
    await tunnel.close();
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body ?? '')).toEqual({ id: EVENT_ID });
    expect(response.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(response.summary).toEqual({ dropped: { error_message: 2 } });
    expect(sink.received).toHaveLength(0);
  });

  it('still forwards an envelope that came with no items', async () => {
    const sink = await upstream();
    const dsn = `http://k1@${sink.host}/42`;
    const tunnel = createTunnel({
      dsns: [dsn],
      allowedOrigins: ['https://app.example'],
      allowItems: ['event'],
    });
    const body = JSON.stringify({ dsn });
    const response = await tunnel.handle(post(body));
    expect(response.status).toBe(200);
    expect(response.summary).toBeUndefined();
    expect(sink.received.map((request) => request.body.toString())).toEqual([body]);
  });

  it('sets the server context on events as they go upstream', async () => {
    const sink = await upstream();
    const dsn = `http://k1@${sink.host}/42`;
    const tunnel = createTunnel({
      dsns: [dsn],
      allowedOrigins: ['https://app.example'],
      serverContext: { release: 'web@2.4.0', environment: 'production' },
    });
    await tunnel.handle(
      post(
        `${head(dsn)}${item('event', '{"message":"x","environment":"staging"}')}${item('session', '{"sid":"s"}')}`,
      ),
    );
    expect(sink.received[0]?.body.toString()).toBe(
      `${head(dsn)}${item('event', '{"message":"x","environment":"staging","release":"web@2.4.0"}')}${item('session', '{"sid":"s"}')}`,
    );
  });

  it('refuses at startup a configuration with both dropItems and allowItems, or a bad filter', () => {
    expect(() =>
      createTunnel({
        dsns: ['https://k@o1.ingest.sentry.io/42'],
        dropItems: ['session'],
        allowItems: ['event'],
      }),
    ).toThrow(/^dropItems and allowItems: set one or the other/);
    expect(() =>
      createTunnel({
        dsns: ['https://k@o1.ingest.sentry.io/42'],
        eventFilters: { releases: [''] },
      }),
    ).toThrow(/^eventFilters\.releases\[0\]/);
    expect(() =>
      createTunnel({
        dsns: ['https://k@o1.ingest.sentry.io/42'],
        serverContext: { environment: 'a/b' },
      }),
    ).toThrow(/^serverContext\.environment/);
  });

  it('refuses an envelope header naming dsn twice with 400 envelope_invalid, sending nothing', async () => {
    const sink = await upstream();
    const dsn = `http://k1@${sink.host}/42`;
    const tunnel = createTunnel({ dsns: [dsn], allowedOrigins: ['https://app.example'] });
    const response = await tunnel.handle(
      post(`{"dsn":"http://k9@${sink.host}/99","d\\u0073n":"${dsn}"}\n${item('event', '{}')}`),
    );
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body ?? '')).toMatchObject({
      error: 'envelope_invalid',
      message: expect.stringContaining('"dsn" more than once'),
    });
    expect(sink.received).toHaveLength(0);
  });
});
