import type { Handle, RequestEvent, RequestHandler } from '@sveltejs/kit';
import {
  answerWebRequest,
  createBrowserRelay,
  createTunnel,
  DEFAULTS,
  errorResponse,
  matchesPath,
  toWebResponse,
  TUNNEL_DEFAULTS,
  type Engine,
  type RelayBody,
  type BrowserRelayOptions,
  type TunnelOptions,
} from '@postern/core';

export type { BrowserRelayOptions, TunnelOptions } from '@postern/core';

export interface SvelteKitRelayOptions extends BrowserRelayOptions {}

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
function discardOnCancel(
  body: ReadableStream<Uint8Array> | null,
): ReadableStream<Uint8Array> | null {
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
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as NodeRequestLike).iterator === 'function' &&
    (value as NodeRequestLike).readableEnded === false
  );
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

/** The engine, compiled on the first request (see `engineAnswer`); `close()` is a no-op until then. */
interface LazyEngine {
  get(): Engine;
  close(): Promise<void>;
}

function lazyEngine(create: () => Engine): LazyEngine {
  let engine: Engine | undefined;
  return {
    get: () => {
      engine ??= create();
      return engine;
    },
    close: async () => engine?.close(),
  };
}

/** With `close()`: stops the engine's redelivery worker and waits for spool writes and forwards in progress. */
export type PosternRequestHandler = RequestHandler & { close(): Promise<void> };

/** With `close()`, as `PosternRequestHandler`. */
export type PosternHandle = Handle & { close(): Promise<void> };

/**
 * The SvelteKit glue shared by the relay and the tunnel: answers a request through the engine, compiled
 * on the first request rather than at import (`vite build` imports server routes to analyse them, usually
 * without the runtime's secrets). With `ownPathsOnly` (a tunnel with `managedPaths`, whose `+server.ts`
 * sits in a dynamic segment such as `src/routes/[tunnel]/`) it answers only the engine's own paths, and
 * 404 `not_found` elsewhere; otherwise the route decides.
 */
function engineAnswer(
  lazy: LazyEngine,
  ownPathsOnly: () => boolean = () => false,
): (event: RequestEvent) => Promise<Response> {
  return async (event) => {
    const engine = lazy.get();
    if (ownPathsOnly() && !engine.matches(event.url.pathname))
      return toWebResponse(errorResponse('not_found', {}));
    // The client address is `event.getClientAddress()`: with adapter-node that is the socket peer, or the
    // address its `ADDRESS_HEADER` / `XFF_DEPTH` settings vouch for.
    return answerWebRequest(engine, event.request, event.getClientAddress(), {
      path: event.url.pathname,
      body: () => bodyOf(event),
    });
  };
}

/**
 * A `handle` hook that answers the engine's paths and resolves every other request as usual. With a fixed
 * `path` nothing is compiled until a request comes for it. Without one (a tunnel with `managedPaths`, whose
 * paths come from its DSNs) the engine is compiled on the first request, whatever its path, so a
 * configuration error fails every request until it is fixed rather than losing telemetry unnoticed.
 */
function engineHandle(path: string | undefined, create: () => Engine): PosternHandle {
  const lazy = lazyEngine(create);
  const answer = engineAnswer(lazy);
  const handle: Handle =
    path !== undefined
      ? ({ event, resolve }) =>
          matchesPath(event.url.pathname, path) ? answer(event) : resolve(event)
      : ({ event, resolve }) =>
          lazy.get().matches(event.url.pathname) ? answer(event) : resolve(event);
  return Object.assign(handle, { close: lazy.close });
}

function engineRoute(create: () => Engine, ownPathsOnly?: () => boolean): PosternRequestHandler {
  const lazy = lazyEngine(create);
  return Object.assign(engineAnswer(lazy, ownPathsOnly), { close: lazy.close });
}

/** Whether tunnel options put the managed paths in play, read only when a request comes (the options may be incomplete at build time). */
const servesManagedPaths = (options: SvelteKitTunnelOptions | undefined): boolean =>
  options?.managedPaths === true || options?.path === false;

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
export function posternRelay(options: SvelteKitRelayOptions): PosternRequestHandler {
  return engineRoute(() => createBrowserRelay(options));
}

/**
 * A `handle` hook that answers the relay route (`path`, default `/debugbundle/browser`) before the app's
 * own hooks and routes run, and resolves every other request as usual. Combine it with yours via `sequence`.
 *
 * @example
 * // src/hooks.server.ts
 * import { env } from '$env/dynamic/private';
 * import { posternRelayHandle } from '@postern/sveltekit';
 *
 * export const handle = posternRelayHandle({ projectToken: env.DEBUGBUNDLE_PROJECT_TOKEN!, allowedOrigins: ['https://app.example.com'] });
 */
export function posternRelayHandle(options: SvelteKitRelayOptions): PosternHandle {
  return engineHandle(options.path ?? DEFAULTS.path, () => createBrowserRelay(options));
}

/**
 * A request handler for the Sentry envelope tunnel in `src/routes/postern/tunnel/+server.ts`: point the
 * browser SDK's `tunnel` option at that route. Export it as `fallback`, like the relay. With adapter-node,
 * raise `BODY_SIZE_LIMIT` to at least `maxEnvelopeBytes` (20 MiB by default), or larger envelopes get
 * adapter-node's own 413. With `managedPaths: true`, put it in a dynamic segment where
 * `Sentry.init({ dsn, tunnel: true })` posts (`src/routes/[tunnel]/+server.ts`, or with `basePath`
 * `src/routes/monitoring/[tunnel]/+server.ts`): it then answers only the tunnel's own paths, 404 elsewhere.
 * `posternTunnelHandle` needs no route file at all.
 *
 * @example
 * // src/routes/postern/tunnel/+server.ts
 * import { env } from '$env/dynamic/private';
 * import { posternTunnel } from '@postern/sveltekit';
 *
 * export const fallback = posternTunnel({ dsns: [env.SENTRY_DSN!], allowedOrigins: ['https://app.example.com'] });
 * // in the browser: Sentry.init({ dsn, tunnel: '/postern/tunnel' })
 */
export function posternTunnel(options: SvelteKitTunnelOptions): PosternRequestHandler {
  return engineRoute(
    () => createTunnel(options),
    () => servesManagedPaths(options),
  );
}

/**
 * A `handle` hook that answers the tunnel's paths (`path`, default `/postern/tunnel`, and with
 * `managedPaths: true` the path `Sentry.init({ dsn, tunnel: true })` derives from each DSN) before the app's
 * own hooks and routes run. Combine it with `posternRelayHandle` and yours via `sequence`. With `managedPaths`,
 * the tunnel is compiled on the first request whatever its path (its paths come from the DSNs), so a
 * configuration error fails every request until it is fixed.
 *
 * @example
 * // src/hooks.server.ts
 * import { env } from '$env/dynamic/private';
 * import { sequence } from '@sveltejs/kit/hooks';
 * import { posternRelayHandle, posternTunnelHandle } from '@postern/sveltekit';
 *
 * export const handle = sequence(
 *   posternRelayHandle({ projectToken: env.DEBUGBUNDLE_PROJECT_TOKEN!, allowedOrigins: ['https://app.example.com'] }),
 *   posternTunnelHandle({ dsns: [env.SENTRY_DSN!], managedPaths: true }),
 * );
 * // in the page: Sentry.init({ dsn, tunnel: true })
 */
export function posternTunnelHandle(options: SvelteKitTunnelOptions): PosternHandle {
  return engineHandle(
    servesManagedPaths(options)
      ? undefined
      : ((options.path as string | undefined) ?? TUNNEL_DEFAULTS.path),
    () => createTunnel(options),
  );
}
