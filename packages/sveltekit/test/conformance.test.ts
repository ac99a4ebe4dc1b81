import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Handle, RequestEvent, RequestHandler } from '@sveltejs/kit';
import { getRequest, setResponse } from '@sveltejs/kit/node';
import { loadContract, renderConsole, runConformance, serverTarget } from '@postern/conformance';
import { describe, expect, it } from 'vitest';
import { posternHandle, posternRelay, type SvelteKitRelayOptions } from '../src/index.js';

// adapter-node's request path, in process: SvelteKit's own Node bridge (getRequest/setResponse, the 512 kB
// BODY_SIZE_LIMIT default) and getClientAddress() as adapter-node answers it without ADDRESS_HEADER.
// The production build of examples/sveltekit runs the same fixtures through `node build`.
const BODY_SIZE_LIMIT = 512 * 1024;

function eventFor(req: IncomingMessage, request: Request): RequestEvent {
  return { request, url: new URL(request.url), getClientAddress: () => req.socket.remoteAddress as string } as unknown as RequestEvent;
}

function kitServer(respond: (event: RequestEvent) => Response | Promise<Response>): Server {
  return createServer(async (req, res) => {
    const request = await getRequest({ request: req, base: 'http://relay.test', bodySizeLimit: BODY_SIZE_LIMIT });
    await setResponse(res, await respond(eventFor(req, request)));
  });
}

const notFound = () => new Response('the app itself', { status: 404 });

describe('@postern/sveltekit against the Relay Contract', () => {
  it('passes every fixture as a +server.ts fallback handler', async () => {
    const contract = await loadContract();
    const result = await runConformance({
      targets: [
        serverTarget('sveltekit-server', (options) => {
          const fallback: RequestHandler = posternRelay(options as unknown as SvelteKitRelayOptions);
          return kitServer((event) => fallback(event as Parameters<RequestHandler>[0]));
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
        serverTarget('sveltekit-handle', (options) => {
          const handle: Handle = posternHandle(options as unknown as SvelteKitRelayOptions);
          return kitServer((event) => handle({ event, resolve: async () => notFound() }));
        }),
      ],
    });
    expect(result.summary.total).toBe(contract.cases.length);
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);

    const handle = posternHandle({ projectToken: 'srv-token', allowedOrigins: ['https://app.example'] });
    const resolved: string[] = [];
    const event = { request: new Request('http://relay.test/debugbundle/browser/status'), url: new URL('http://relay.test/debugbundle/browser/status') };
    const response = await handle({ event: event as unknown as RequestEvent, resolve: async (e) => (resolved.push(e.url.pathname), notFound()) });
    expect(resolved).toEqual(['/debugbundle/browser/status']);
    expect(response.status).toBe(404);
  });

  it('counts requests against getClientAddress(), whatever X-Forwarded-For says', async () => {
    const fallback = posternRelay({ projectToken: 'srv-token', allowedOrigins: ['https://app.example'], rateLimitPerMinute: 1 });
    const send = (forwardedFor: string) =>
      fallback({
        request: new Request('http://relay.test/debugbundle/browser', { method: 'POST', headers: { origin: 'https://app.example', 'content-type': 'text/plain', 'x-forwarded-for': forwardedFor } }),
        url: new URL('http://relay.test/debugbundle/browser'),
        getClientAddress: () => '203.0.113.7',
      } as unknown as Parameters<RequestHandler>[0]);
    expect((await send('198.51.100.1')).status).toBe(415);
    expect((await send('198.51.100.2')).status).toBe(429);
  });
});
