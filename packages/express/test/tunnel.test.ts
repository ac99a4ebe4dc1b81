import { createServer } from 'node:http';
import { type RecordingUpstream, startUpstream } from '@postern/conformance';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { posternTunnel } from '../src/index.js';
import {
  envelope,
  expectBoundUnderSpelling,
  expectManagedTunnel,
  expectTunnel,
  listen,
  ORIGIN,
  SENTRY_REPLY,
  sdkTunnelPath,
  tunnelOptionsFor,
  twoProjectOptionsFor,
} from '../../node/test/tunnel-helpers.js';

async function withApp(app: express.Express, run: (base: string) => Promise<void>): Promise<void> {
  const server = createServer(app);
  const base = await listen(server);
  try {
    await run(base);
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

describe('posternTunnel (Express)', () => {
  let sink: RecordingUpstream | undefined;
  afterEach(async () => sink?.close());

  it('forwards a valid envelope byte for byte and refuses an unknown DSN, mounted before the body parsers', async () => {
    sink = await startUpstream({ reply: SENTRY_REPLY });
    const app = express();
    app.use('/postern/tunnel', posternTunnel(tunnelOptionsFor(sink)));
    app.use(express.json());
    await withApp(app, (base) => expectTunnel(`${base}/postern/tunnel`, sink as RecordingUpstream));
  });

  it('at the app root, answers its fixed and managed paths and leaves every other request to the app', async () => {
    sink = await startUpstream({ reply: SENTRY_REPLY });
    const app = express();
    app.use(posternTunnel({ ...tunnelOptionsFor(sink), managedPaths: true }));
    app.use(express.json());
    app.post('/app-route', (req, res) => res.json({ got: req.body }));
    await withApp(app, async (base) => {
      await expectManagedTunnel(base, sink as RecordingUpstream);
      await expectTunnel(`${base}/postern/tunnel`, sink as RecordingUpstream);
      const own = await fetch(`${base}/app-route`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      });
      expect(await own.json()).toEqual({ got: { a: 1 } });
    });
  });

  it('keeps a managed path to its DSN on an app route, which Express matches in any case', async () => {
    sink = await startUpstream({ reply: SENTRY_REPLY });
    const app = express();
    app.all(sdkTunnelPath(sink.dsn('42')), posternTunnel(twoProjectOptionsFor(sink)));
    await withApp(app, (base) =>
      expectBoundUnderSpelling(base, sink as RecordingUpstream, (path) => path.toUpperCase()),
    );
  });

  it('does not serve its mount path for every DSN when it serves managed paths', async () => {
    sink = await startUpstream({ reply: SENTRY_REPLY });
    const app = express();
    app.use(
      '/monitoring',
      posternTunnel({ ...twoProjectOptionsFor(sink), basePath: '/monitoring', path: false }),
    );
    await withApp(app, async (base) => {
      const response = await fetch(`${base}/monitoring`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'text/plain' },
        body: new Uint8Array(envelope(sink!.dsn('43'))),
      });
      expect(response.status).toBe(404);
      expect(sink!.received).toHaveLength(0);
    });
  });

  it('forwards the Buffer express.raw() read, byte for byte', async () => {
    sink = await startUpstream({ reply: SENTRY_REPLY });
    const app = express();
    app.use(express.raw({ type: '*/*' }));
    app.all('/postern/tunnel', posternTunnel(tunnelOptionsFor(sink)));
    await withApp(app, (base) => expectTunnel(`${base}/postern/tunnel`, sink as RecordingUpstream));
  });

  it('hands a body a parser turned into an object to next(error): an envelope cannot be rebuilt from it', async () => {
    sink = await startUpstream({ reply: SENTRY_REPLY });
    const app = express();
    app.use(express.json({ type: '*/*' }));
    app.use('/postern/tunnel', posternTunnel(tunnelOptionsFor(sink)));
    let seen: unknown;
    app.use(
      (
        error: unknown,
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        seen = error;
        res.status(500).end();
      },
    );
    await withApp(app, async (base) => {
      const response = await fetch(`${base}/postern/tunnel`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json' },
        body: '{"dsn":"x"}',
      });
      expect(response.status).toBe(500);
    });
    expect(String(seen)).toMatch(/Mount posternTunnel before express\.json\(\)/);
    expect(sink.received).toHaveLength(0);
    expect(envelope(sink.dsn('42')).length).toBeGreaterThan(0);
  });
});
