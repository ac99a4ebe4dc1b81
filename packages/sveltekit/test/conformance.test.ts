import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Handle, RequestEvent, RequestHandler } from '@sveltejs/kit';
import { getRequest, setResponse } from '@sveltejs/kit/node';
import {
  loadContract,
  renderConsole,
  runConformance,
  serverTarget,
  startUpstream,
} from '@postern/conformance';
import { describe, expect, it } from 'vitest';
import {
  posternRelayHandle,
  posternRelay,
  posternTunnel,
  posternTunnelHandle,
  type SvelteKitRelayOptions,
  type SvelteKitTunnelOptions,
} from '../src/index.js';
import {
  expectManagedTunnel,
  expectTunnel,
  listen,
  SENTRY_REPLY,
  tunnelOptionsFor,
} from '../../node/test/tunnel-helpers.js';

// adapter-node's request path, in process: SvelteKit's own Node bridge (getRequest/setResponse, the 512 kB
// BODY_SIZE_LIMIT default), getClientAddress() as adapter-node answers it without ADDRESS_HEADER, and
// `platform: { req }` as adapter-node passes it.
// The production build of examples/sveltekit runs the same fixtures through `node build`.
// The tunnel's targets raise the limit, as its README says to (BODY_SIZE_LIMIT=Infinity; the engine caps envelopes itself).
const BODY_SIZE_LIMIT = 512 * 1024;

function eventFor(req: IncomingMessage, request: Request): RequestEvent {
  return {
    request,
    url: new URL(request.url),
    getClientAddress: () => req.socket.remoteAddress as string,
    platform: { req },
  } as unknown as RequestEvent;
}

function kitServer(
  respond: (event: RequestEvent) => Response | Promise<Response>,
  bodySizeLimit = BODY_SIZE_LIMIT,
): Server {
  return createServer(async (req, res) => {
    const request = await getRequest({ request: req, base: 'http://relay.test', bodySizeLimit });
    await setResponse(res, await respond(eventFor(req, request)));
  });
}

const notFound = () => new Response('the app itself', { status: 404 });

describe('@postern/sveltekit against the Relay Contract', () => {
  it('passes every fixture as a +server.ts fallback handler', async () => {
    const contract = await loadContract();
    const result = await runConformance({
      targets: [
        serverTarget('sveltekit-server', (options, config) => {
          const tunnel = config.protocol === 'sentry-tunnel';
          const fallback: RequestHandler = tunnel
            ? posternTunnel(options as unknown as SvelteKitTunnelOptions)
            : posternRelay(options as unknown as SvelteKitRelayOptions);
          return kitServer(
            (event) => fallback(event as Parameters<RequestHandler>[0]),
            tunnel ? Infinity : BODY_SIZE_LIMIT,
          );
        }),
      ],
    });
    expect(result.summary.total).toBe(contract.cases.length);
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);
  });

  it('passes every fixture as a handle hook, leaving other paths to the app', async () => {
    const contract = await loadContract();
    const result = await runConformance({
      targets: [
        serverTarget('sveltekit-handle', (options, config) => {
          const tunnel = config.protocol === 'sentry-tunnel';
          const handle: Handle = tunnel
            ? posternTunnelHandle(options as unknown as SvelteKitTunnelOptions)
            : posternRelayHandle(options as unknown as SvelteKitRelayOptions);
          return kitServer(
            (event) => handle({ event, resolve: async () => notFound() }),
            tunnel ? Infinity : BODY_SIZE_LIMIT,
          );
        }),
      ],
    });
    expect(result.summary.total).toBe(contract.cases.length);
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);

    const handle = posternRelayHandle({
      projectToken: 'srv-token',
      allowedOrigins: ['https://app.example'],
    });
    const resolved: string[] = [];
    const event = {
      request: new Request('http://relay.test/debugbundle/browser/status'),
      url: new URL('http://relay.test/debugbundle/browser/status'),
    };
    const response = await handle({
      event: event as unknown as RequestEvent,
      resolve: async (e) => {
        resolved.push(e.url.pathname);
        return notFound();
      },
    });
    expect(resolved).toEqual(['/debugbundle/browser/status']);
    expect(response.status).toBe(404);
  });

  it('counts requests against getClientAddress(), whatever X-Forwarded-For says', async () => {
    const fallback = posternRelay({
      projectToken: 'srv-token',
      allowedOrigins: ['https://app.example'],
      rateLimitPerMinute: 1,
    });
    const send = (forwardedFor: string) =>
      fallback({
        request: new Request('http://relay.test/debugbundle/browser', {
          method: 'POST',
          headers: {
            origin: 'https://app.example',
            'content-type': 'text/plain',
            'x-forwarded-for': forwardedFor,
          },
        }),
        url: new URL('http://relay.test/debugbundle/browser'),
        getClientAddress: () => '203.0.113.7',
      } as unknown as Parameters<RequestHandler>[0]);
    expect((await send('198.51.100.1')).status).toBe(415);
    expect((await send('198.51.100.2')).status).toBe(429);
  });

  it("with managedPaths, the hook answers the tunnel's own paths and resolves the rest; the fallback 404s the rest", async () => {
    const sink = await startUpstream({ reply: SENTRY_REPLY });
    const options = { ...tunnelOptionsFor(sink), managedPaths: true };
    const fallback = posternTunnel(options);
    const handle = posternTunnelHandle(options);
    const resolved: string[] = [];
    const servers = [
      kitServer((event) => fallback(event as Parameters<RequestHandler>[0]), Infinity),
      kitServer(
        (event) =>
          handle({
            event,
            resolve: async (e) => {
              resolved.push(e.url.pathname);
              return notFound();
            },
          }),
        Infinity,
      ),
    ];
    try {
      for (const server of servers) {
        await expectManagedTunnel(await listen(server), sink);
      }
      expect(resolved).toHaveLength(1);
    } finally {
      for (const server of servers) server.close();
      await sink.close();
    }
  });

  it('posternTunnel and posternTunnelHandle forward a valid envelope byte for byte and refuse an unknown DSN', async () => {
    const sink = await startUpstream({ reply: SENTRY_REPLY });
    const fallback = posternTunnel(tunnelOptionsFor(sink));
    const handle = posternTunnelHandle(tunnelOptionsFor(sink));
    const servers = [
      kitServer((event) => fallback(event as Parameters<RequestHandler>[0]), Infinity),
      kitServer((event) => handle({ event, resolve: async () => notFound() }), Infinity),
    ];
    try {
      for (const server of servers) {
        await expectTunnel(`${await listen(server)}/postern/tunnel`, sink);
      }
    } finally {
      for (const server of servers) server.close();
      await sink.close();
    }
  });
});
