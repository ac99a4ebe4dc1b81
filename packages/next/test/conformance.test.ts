import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
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
  type NextRelayOptions,
  type NextTunnelOptions,
  type RelayRouteHandlers,
} from '../src/index.js';
import {
  expectManagedTunnel,
  expectTunnel,
  SENTRY_REPLY,
  tunnelOptionsFor,
} from '../../node/test/tunnel-helpers.js';

// The route handlers in process, behind a Node-to-Web-Request bridge listening on loopback (the peer is
// always a local process, as with `next start -H 127.0.0.1`). The production build of examples/next runs
// the same fixtures through `next build` + `next start`. Without `path`, every request reaches the handlers,
// as in a dynamic segment (`app/[tunnel]/route.ts`).
function routeServer(handlers: RelayRouteHandlers, path: string | undefined): Server {
  return createAdaptorServer({
    fetch: (request: Request) => {
      if (path !== undefined && new URL(request.url).pathname !== path)
        return new Response('not found', { status: 404 });
      const handler = handlers[request.method as keyof RelayRouteHandlers];
      return handler ? handler(request) : new Response(null, { status: 405 });
    },
  }) as Server;
}

const batch = JSON.stringify({ batch: [sampleEvent('frontend_breadcrumb')] });

function post(handlers: RelayRouteHandlers, headers: Record<string, string>): Promise<Response> {
  return handlers.POST(
    new Request('http://relay.test/debugbundle/browser', {
      method: 'POST',
      headers: { origin: 'https://app.example', 'content-type': 'application/json', ...headers },
      body: batch,
    }),
  );
}

describe('@postern/next against the Relay Contract', () => {
  it('passes every fixture with the route handlers behind a loopback-only server', async () => {
    const contract = await loadContract();
    const result = await runConformance({
      targets: [
        serverTarget('next-routes', (options, config) => {
          const handlers =
            config.protocol === 'sentry-tunnel'
              ? posternTunnel({
                  ...(options as unknown as NextTunnelOptions),
                  peerAddress: '127.0.0.1',
                })
              : posternRelay({
                  ...(options as unknown as NextRelayOptions),
                  peerAddress: '127.0.0.1',
                });
          return routeServer(
            handlers,
            options.managedPaths === true ? undefined : (options.path as string),
          );
        }),
      ],
    });
    expect(result.summary.total).toBe(contract.cases.length);
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);
  });

  it('never takes the peer from X-Forwarded-For unless trustProxy names the peer', async () => {
    const seen: string[] = [];
    const onEvent = (_event: Record<string, unknown>, context: { clientAddress: string }) => {
      seen.push(context.clientAddress);
      return null;
    };
    const untrusted = posternRelay({
      projectToken: 'srv-token',
      allowedOrigins: ['https://app.example'],
      peerAddress: '10.0.0.2',
      onEvent,
    });
    await post(untrusted, { 'x-forwarded-for': '198.51.100.1' });
    const trusted = posternRelay({
      projectToken: 'srv-token',
      allowedOrigins: ['https://app.example'],
      peerAddress: '10.0.0.2',
      trustProxy: '10.0.0.2',
      onEvent,
    });
    await post(trusted, { 'x-forwarded-for': '203.0.113.5, 198.51.100.1' });
    const vouched = posternRelay({
      projectToken: 'srv-token',
      allowedOrigins: ['https://app.example'],
      peerAddress: (request) => request.headers.get('x-real-ip') ?? undefined,
      onEvent,
    });
    await post(vouched, { 'x-real-ip': '192.0.2.44', 'x-forwarded-for': '198.51.100.1' });
    expect(seen).toEqual(['10.0.0.2', '198.51.100.1', '192.0.2.44']);
  });

  it('compiles the relay on the first request, so `next build` needs no secrets, and insists on a peer address', async () => {
    const handlers = posternRelay({ projectToken: '', peerAddress: '127.0.0.1' });
    await expect(post(handlers, {})).rejects.toThrow(/projectToken is required/);
    expect(() => posternRelay({ projectToken: 'srv-token' } as NextRelayOptions)).toThrow(
      /peerAddress is required/,
    );
  });

  it('posternTunnel forwards a valid envelope byte for byte and refuses an unknown DSN', async () => {
    const sink = await startUpstream({ reply: SENTRY_REPLY });
    const server = routeServer(
      posternTunnel({ ...tunnelOptionsFor(sink), peerAddress: '127.0.0.1' }),
      '/postern/tunnel',
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await expectTunnel(
        `http://127.0.0.1:${(server.address() as { port: number }).port}/postern/tunnel`,
        sink,
      );
    } finally {
      server.close();
      await sink.close();
    }
  });

  it("with managedPaths, in a dynamic segment, answers only the tunnel's own paths and 404s the rest", async () => {
    const sink = await startUpstream({ reply: SENTRY_REPLY });
    const handlers = posternTunnel({
      ...tunnelOptionsFor(sink),
      managedPaths: true,
      peerAddress: '127.0.0.1',
    });
    const server = routeServer(handlers, undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      await expectManagedTunnel(base, sink);
      const elsewhere = await fetch(`${base}/somewhere/else`, { method: 'POST', body: 'x' });
      expect(elsewhere.status).toBe(404);
      expect(await elsewhere.json()).toMatchObject({ error: 'not_found' });
    } finally {
      server.close();
      await sink.close();
    }
  });

  it('compiles the tunnel on the first request too, so `next build` needs no DSN', async () => {
    const handlers = posternTunnel({ dsns: [], peerAddress: '127.0.0.1' });
    await expect(
      handlers.POST(
        new Request('http://relay.test/postern/tunnel', { method: 'POST', body: '{}' }),
      ),
    ).rejects.toThrow(/dsns is required/);
    expect(() =>
      posternTunnel({
        dsns: ['https://public@o1.ingest.sentry.io/42'],
      } as unknown as NextTunnelOptions),
    ).toThrow(/peerAddress is required/);
  });
});
