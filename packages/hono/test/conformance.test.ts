import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono } from 'hono';
import {
  loadContract,
  renderConsole,
  runConformance,
  sampleEvent,
  serverTarget,
} from '@postern/conformance';
import { describe, expect, it } from 'vitest';
import {
  posternRelay,
  posternTunnel,
  type HonoRelayOptions,
  type HonoTunnelOptions,
} from '../src/index.js';

describe('@postern/hono against the Relay Contract', () => {
  it('passes every fixture on @hono/node-server', async () => {
    const contract = await loadContract();
    const result = await runConformance({
      targets: [
        serverTarget('hono', (options, config) => {
          const app = new Hono();
          const handler =
            config.protocol === 'sentry-tunnel'
              ? posternTunnel({ ...(options as unknown as HonoTunnelOptions), getConnInfo })
              : posternRelay({ ...(options as unknown as HonoRelayOptions), getConnInfo });
          // A tunnel with managed paths as middleware, where it answers its own paths; otherwise on its route.
          if (options.managedPaths === true) app.use(handler);
          else app.all(options.path as string, handler);
          return createAdaptorServer({ fetch: app.fetch }) as Server;
        }),
      ],
    });
    expect(result.summary.total).toBe(contract.cases.length);
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);
  });

  it('takes the client address from the getConnInfo it is given, never from a header', async () => {
    const seen: string[] = [];
    const app = new Hono();
    const relay = posternRelay({
      projectToken: 'srv-token',
      allowedOrigins: ['https://app.example'],
      rateLimitPerMinute: 1,
      getConnInfo: () => ({ remote: { address: '203.0.113.9', addressType: 'IPv4' } }),
      onEvent: (_event, context) => {
        seen.push(context.clientAddress);
        return null;
      },
    });
    app.all('/relay', relay);
    const send = () =>
      app.request('/relay', {
        method: 'POST',
        headers: {
          origin: 'https://app.example',
          'content-type': 'application/json',
          'x-forwarded-for': `198.51.100.${seen.length}`,
        },
        body: JSON.stringify({ batch: [sampleEvent('frontend_breadcrumb')] }),
      });
    expect((await send()).status).not.toBe(429);
    expect((await send()).status).toBe(429);
    expect(seen).toEqual(['203.0.113.9']);
  });

  it('refuses to start without a way to learn the client address', () => {
    expect(() => posternRelay({ projectToken: 'srv-token' } as HonoRelayOptions)).toThrow(
      /getConnInfo is required/,
    );
  });
});
