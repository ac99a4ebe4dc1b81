import { createServer } from 'node:http';
import { type RecordingUpstream, startUpstream } from '@postern/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { posternRelay, posternTunnel } from '../src/index.js';
import { expectTunnel, listen, SENTRY_REPLY, tunnelOptionsFor } from './tunnel-helpers.js';

describe('posternTunnel', () => {
  let sink: RecordingUpstream | undefined;
  afterEach(async () => sink?.close());

  it('forwards a valid envelope byte for byte and refuses an unknown DSN, chained in front of the relay', async () => {
    sink = await startUpstream({ reply: SENTRY_REPLY });
    const relay = posternRelay({
      projectToken: 'srv-token',
      allowedOrigins: ['https://app.example'],
    });
    const tunnel = posternTunnel(tunnelOptionsFor(sink));
    const server = createServer((req, res) => tunnel(req, res, () => relay(req, res)));
    const base = await listen(server);
    try {
      await expectTunnel(`${base}/postern/tunnel`, sink);
      // The relay still answers its own route behind the tunnel.
      const preflight = await fetch(`${base}/debugbundle/browser`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('refuses to start without DSNs', () => {
    expect(() => posternTunnel({ dsns: [] })).toThrow(TypeError);
  });
});
