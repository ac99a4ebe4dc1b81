import Fastify from 'fastify';
import { loadContract, renderConsole, runConformance, serverTarget } from '@postern/conformance';
import { describe, expect, it } from 'vitest';
import {
  posternRelay,
  posternTunnel,
  type FastifyRelayOptions,
  type FastifyTunnelOptions,
} from '../src/index.js';

describe('@postern/fastify against the Relay Contract', () => {
  it('passes every fixture on a real Fastify server', async () => {
    const contract = await loadContract();
    const result = await runConformance({
      targets: [
        serverTarget('fastify', async (options, config) => {
          const app = Fastify();
          if (config.protocol === 'sentry-tunnel')
            await app.register(posternTunnel, options as unknown as FastifyTunnelOptions);
          else await app.register(posternRelay, options as unknown as FastifyRelayOptions);
          await app.ready();
          return app.server;
        }),
      ],
    });
    expect(result.summary.total).toBe(contract.cases.length);
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);
  });

  it('keeps its content-type parser inside its own context', async () => {
    const app = Fastify();
    await app.register(posternRelay, {
      projectToken: 'srv-token',
      allowedOrigins: ['https://app.example'],
    });
    app.post('/app-route', async (request) => ({ got: request.body }));
    const response = await app.inject({
      method: 'POST',
      url: '/app-route',
      payload: { hello: 'world' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ got: { hello: 'world' } });
  });

  it('answers on a custom path', async () => {
    const app = Fastify();
    await app.register(posternRelay, {
      projectToken: 'srv-token',
      allowedOrigins: ['https://app.example'],
      path: '/telemetry',
    });
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/telemetry',
      headers: { origin: 'https://app.example' },
    });
    expect(preflight.statusCode).toBe(204);
    const elsewhere = await app.inject({
      method: 'OPTIONS',
      url: '/debugbundle/browser',
      headers: { origin: 'https://app.example' },
    });
    expect(elsewhere.statusCode).toBe(404);
  });
});
