import type { Handle, RequestEvent, RequestHandler } from '@sveltejs/kit';
import { createRelay, createTunnel, DEFAULTS, matchesPath, TUNNEL_DEFAULTS, type Relay, type RelayBody, type RelayOptions, type RelayRequest, type TunnelOptions } from '@postern/core';

export type { RelayOptions, TunnelOptions } from '@postern/core';

export interface SvelteKitRelayOptions extends RelayOptions {}

export interface SvelteKitTunnelOptions extends TunnelOptions {}

/** Reads what is left of a body and drops it, so the connection stays usable. */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done);
  } catch {
    // the client went away or the adapter's own size limit stopped the stream: nothing left to read
  }
}

/**
 * The body as a stream whose cancellation discards the rest instead of cancelling the request's own
 * stream: adapter-node destroys the socket when that is cancelled, which would cut off the engine's early
 * 413 before the client reads it (fixture browser/8/5).
 */
function discardOnCancel(body: ReadableStream<Uint8Array> | null): ReadableStream<Uint8Array> | null {
  if (body === null) return null;
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel() {
      void discard(reader);
    },
  });
}

/** What adapter-node puts in `event.platform.req`: the Node request, typed only as far as it is used here. */
interface NodeRequestLike {
  readableEnded: boolean;
  iterator(options: { destroyOnReturn: boolean }): AsyncIterable<Uint8Array>;
}

function isNodeRequest(value: unknown): value is NodeRequestLike {
  return typeof value === 'object' && value !== null && typeof (value as NodeRequestLike).iterator === 'function' && (value as NodeRequestLike).readableEnded === false;
}

/**
 * The body as a stream. SvelteKit's Node bridge gives a request without `Content-Type` no body at all,
 * without reading it, though the tunnel contract accepts envelopes sent that way (R-TUNNEL-3); with
 * adapter-node the untouched Node request is in `event.platform.req`, so the body is read from there.
 */
function bodyOf(event: RequestEvent): RelayBody {
  const { request } = event;
  if (request.body === null && !request.headers.has('content-type')) {
    const req = (event.platform as { req?: unknown } | undefined)?.req;
    if (isNodeRequest(req)) return req.iterator({ destroyOnReturn: false });
  }
  return discardOnCancel(request.body);
}

/**
 * The engine's view of a SvelteKit request. The client address is `event.getClientAddress()`: with
 * adapter-node that is the socket peer, or the address its `ADDRESS_HEADER` / `XFF_DEPTH` settings vouch for.
 */
function toRelayRequest(event: RequestEvent): RelayRequest {
  const { request } = event;
  return {
    method: request.method,
    header: (name) => request.headers.get(name) ?? undefined,
    clientAddress: event.getClientAddress(),
    get body() {
      return bodyOf(event);
    },
  };
}

/**
 * The SvelteKit glue shared by the relay and the tunnel: answers a request through the engine, compiled
 * on the first request rather than at import (`vite build` imports server routes to analyse them, usually
 * without the runtime's secrets).
 */
function engineAnswer(create: () => Relay): (event: RequestEvent) => Promise<Response> {
  let engine: Relay | undefined;
  return async (event) => {
    engine ??= create();
    const response = await engine.handle(toRelayRequest(event));
    return new Response(response.body, { status: response.status, headers: response.headers });
  };
}

/** A `handle` hook that answers `path` through the engine and resolves every other request as usual. */
function engineHandle(path: string, create: () => Relay): Handle {
  const answer = engineAnswer(create);
  return ({ event, resolve }) => (matchesPath(event.url.pathname, path) ? answer(event) : resolve(event));
}

/**
 * A request handler for `src/routes/<route>/+server.ts`. Export it as `fallback` so every method reaches
 * it: the relay answers preflights and refuses other methods with the contract's 405.
 *
 * @example
 * // src/routes/debugbundle/browser/+server.ts
 * import { env } from '$env/dynamic/private';
 * import { posternRelay } from '@postern/sveltekit';
 *
 * export const fallback = posternRelay({ projectToken: env.DEBUGBUNDLE_PROJECT_TOKEN!, allowedOrigins: ['https://app.example.com'] });
 */
export function posternRelay(options: SvelteKitRelayOptions): RequestHandler {
  return engineAnswer(() => createRelay(options));
}

/**
 * A `handle` hook that answers the relay route (`path`, default `/debugbundle/browser`) before the app's
 * own hooks and routes run, and resolves every other request as usual. Combine it with yours via `sequence`.
 *
 * @example
 * // src/hooks.server.ts
 * import { env } from '$env/dynamic/private';
 * import { posternHandle } from '@postern/sveltekit';
 *
 * export const handle = posternHandle({ projectToken: env.DEBUGBUNDLE_PROJECT_TOKEN!, allowedOrigins: ['https://app.example.com'] });
 */
export function posternHandle(options: SvelteKitRelayOptions): Handle {
  return engineHandle(options.path ?? DEFAULTS.path, () => createRelay(options));
}

/**
 * A request handler for the Sentry envelope tunnel in `src/routes/postern/tunnel/+server.ts`: point the
 * browser SDK's `tunnel` option at that route. Export it as `fallback`, like the relay. With adapter-node,
 * raise `BODY_SIZE_LIMIT` to at least `maxEnvelopeBytes` (20 MiB by default), or larger envelopes get
 * adapter-node's own 413.
 *
 * @example
 * // src/routes/postern/tunnel/+server.ts
 * import { env } from '$env/dynamic/private';
 * import { posternTunnel } from '@postern/sveltekit';
 *
 * export const fallback = posternTunnel({ dsns: [env.SENTRY_DSN!], allowedOrigins: ['https://app.example.com'] });
 * // in the browser: Sentry.init({ dsn, tunnel: '/postern/tunnel' })
 */
export function posternTunnel(options: SvelteKitTunnelOptions): RequestHandler {
  return engineAnswer(() => createTunnel(options));
}

/**
 * A `handle` hook that answers the tunnel route (`path`, default `/postern/tunnel`) before the app's own
 * hooks and routes run. Combine it with `posternHandle` and yours via `sequence`.
 *
 * @example
 * // src/hooks.server.ts
 * import { env } from '$env/dynamic/private';
 * import { sequence } from '@sveltejs/kit/hooks';
 * import { posternHandle, posternTunnelHandle } from '@postern/sveltekit';
 *
 * export const handle = sequence(
 *   posternHandle({ projectToken: env.DEBUGBUNDLE_PROJECT_TOKEN!, allowedOrigins: ['https://app.example.com'] }),
 *   posternTunnelHandle({ dsns: [env.SENTRY_DSN!], allowedOrigins: ['https://app.example.com'] }),
 * );
 */
export function posternTunnelHandle(options: SvelteKitTunnelOptions): Handle {
  return engineHandle(options.path ?? TUNNEL_DEFAULTS.path, () => createTunnel(options));
}
