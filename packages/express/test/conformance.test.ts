import { createServer } from 'node:http';
import express from 'express';
import request from 'supertest';
import {
  loadContract,
  renderConsole,
  runConformance,
  sampleEvent,
  serverTarget,
  startUpstream,
} from '@postern/conformance';
import { describe, expect, it } from 'vitest';
import {
  posternRelay,
  posternTunnel,
  type ExpressRelayOptions,
  type ExpressTunnelOptions,
} from '../src/index.js';

describe('@postern/express against the Relay Contract', () => {
  it('passes every fixture when mounted with app.use before the app body parsers', async () => {
    const contract = await loadContract();
    const result = await runConformance({
      targets: [
        serverTarget('express', (options, config) => {
          const app = express();
          if (config.protocol !== 'sentry-tunnel')
            app.use(
              options.path as string,
              posternRelay(options as unknown as ExpressRelayOptions),
            );
          // A tunnel with managed paths at the app root, where it answers its own paths; otherwise on its mount path.
          else if (options.managedPaths === true)
            app.use(posternTunnel(options as unknown as ExpressTunnelOptions));
          else
            app.use(
              options.path as string,
              posternTunnel(options as unknown as ExpressTunnelOptions),
            );
          app.use(express.json());
          return createServer(app);
        }),
      ],
    });
    expect(result.summary.total).toBe(contract.cases.length);
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);
  });

  it('relays valid batches when express.json() already ran globally', async () => {
    // express.json() reads the body before the relay runs, so it answers some requests itself: malformed
    // JSON (its own 400), bodies over its 100 kB default (its own 413), and a held-open body (it waits
    // for the end before the relay can refuse). Those cases are the parser's, not the relay's; every
    // other case must still pass.
    const answeredByBodyParser = new Set([
      'browser/4/2',
      'browser/4/3',
      'browser/6/5',
      'browser/12/3',
      'browser/15/1',
    ]);
    const bodyReadingSections = ['8', '9'];
    const contract = await loadContract();
    const ids = contract.cases
      .map((testCase) => testCase.id)
      .filter(
        (id) =>
          id.startsWith('browser/') &&
          !answeredByBodyParser.has(id) &&
          !bodyReadingSections.includes(id.split('/')[1] as string),
      );
    const result = await runConformance({
      grep: ids,
      targets: [
        serverTarget('express+json', (options) => {
          const app = express();
          app.use(express.json());
          app.use(options.path as string, posternRelay(options as unknown as ExpressRelayOptions));
          return createServer(app);
        }),
      ],
    });
    expect(result.summary.total).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(70);
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);
  });

  it('also works as a route handler, and leaves other paths under the mount to the app', async () => {
    const result = await runConformance({
      grep: ['browser/2', 'browser/10/1'],
      targets: [
        serverTarget('express-route', (options) => {
          const app = express();
          app.all(options.path as string, posternRelay(options as unknown as ExpressRelayOptions));
          return createServer(app);
        }),
      ],
    });
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);

    const app = express();
    app.use(
      '/debugbundle/browser',
      posternRelay({ projectToken: 'srv-token', allowedOrigins: ['https://app.example'] }),
    );
    app.get('/debugbundle/browser/status', (_req, res) => res.json({ app: true }));
    await request(app).get('/debugbundle/browser/status').expect(200, { app: true });
  });

  it('answers a preflight and a batch on its mount path, and refuses another origin, through the app', async () => {
    const upstream = await startUpstream();
    try {
      const app = express();
      app.use(
        '/debugbundle/browser',
        posternRelay({
          projectToken: 'srv-token',
          allowedOrigins: ['https://app.example'],
          endpoint: `${upstream.url}/v1/events`,
        }),
      );
      await request(app)
        .options('/debugbundle/browser')
        .set('origin', 'https://app.example')
        .set('access-control-request-method', 'POST')
        .expect(204)
        .expect('access-control-allow-origin', 'https://app.example');
      const batch = { batch: [sampleEvent('frontend_exception')] };
      const accepted = await request(app)
        .post('/debugbundle/browser')
        .set('origin', 'https://app.example')
        .send(batch)
        .expect(202);
      expect(accepted.body).toMatchObject({ accepted: 1 });
      expect(upstream.received).toHaveLength(1);
      expect(upstream.received[0]?.headers.authorization).toBe('Bearer srv-token');
      await request(app)
        .post('/debugbundle/browser')
        .set('origin', 'https://evil.example')
        .send(batch)
        .expect(403)
        .expect((response) => expect(response.body.error).toBe('origin_not_allowed'));
      expect(upstream.received).toHaveLength(1);
    } finally {
      await upstream.close();
    }
  });
});
