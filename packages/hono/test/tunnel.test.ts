import { serve, type ServerType } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { type RecordingUpstream, startUpstream } from '@postern/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { posternTunnel } from '../src/index.js';
import {
  expectManagedTunnel,
  expectTunnel,
  SENTRY_REPLY,
  tunnelOptionsFor,
} from '../../node/test/tunnel-helpers.js';

describe('posternTunnel (Hono)', () => {
  let sink: RecordingUpstream | undefined;
  afterEach(async () => sink?.close());

  it('forwards a valid envelope byte for byte and refuses an unknown DSN', async () => {
    sink = await startUpstream({ reply: SENTRY_REPLY });
    const app = new Hono();
    app.all('/postern/tunnel', posternTunnel({ ...tunnelOptionsFor(sink), getConnInfo }));
    const server = await new Promise<ServerType>((resolve) => {
      const started: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
        resolve(started),
      );
    });
    try {
      await expectTunnel(
        `http://127.0.0.1:${(server.address() as AddressInfo).port}/postern/tunnel`,
        sink,
      );
    } finally {
      server.close();
    }
  });

  it('as middleware, answers its fixed and managed paths and passes every other request on; on a route of its own, the route decides', async () => {
    sink = await startUpstream({ reply: SENTRY_REPLY });
    const app = new Hono();
    app.use(posternTunnel({ ...tunnelOptionsFor(sink), managedPaths: true, getConnInfo }));
    app.all('/custom', posternTunnel({ ...tunnelOptionsFor(sink), getConnInfo }));
    app.get('/hello', (c) => c.text('the app itself'));
    const server = await new Promise<ServerType>((resolve) => {
      const started: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
        resolve(started),
      );
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await expectManagedTunnel(base, sink);
      await expectTunnel(`${base}/postern/tunnel`, sink);
      await expectTunnel(`${base}/custom`, sink);
      expect(await (await fetch(`${base}/hello`)).text()).toBe('the app itself');
    } finally {
      server.close();
    }
  });

  it('requires getConnInfo', () => {
    expect(() =>
      posternTunnel({ dsns: ['https://public@o1.ingest.sentry.io/42'] } as never),
    ).toThrow(/getConnInfo is required/);
  });
});
