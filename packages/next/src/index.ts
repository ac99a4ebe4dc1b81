import {
  answerWebRequest,
  createBrowserRelay,
  createTunnel,
  errorResponse,
  toWebResponse,
  type Engine,
  type BrowserRelayOptions,
  type TunnelOptions,
} from '@postern/core';

export type { BrowserRelayOptions, TunnelOptions } from '@postern/core';

/** Where the address of whoever connected to Next.js comes from: a fixed proxy address, or a function. */
export type PeerAddress = string | ((request: Request) => string | undefined);

export interface NextPeerOptions {
  /**
   * Who connected to the Next.js server. Route handlers never see the socket, and Next.js fills in
   * `X-Forwarded-For` only when the client did not send one, so no header can be believed on its own. Give
   * either the address of the proxy every request comes through (Next.js listening only where that proxy
   * reaches it), with `trustProxy` naming it so `X-Forwarded-For` is walked from there; or a function
   * returning the address your platform vouches for (a header its edge always overwrites).
   */
  peerAddress: PeerAddress;
}

export interface NextRelayOptions extends BrowserRelayOptions, NextPeerOptions {}

export interface NextTunnelOptions extends TunnelOptions, NextPeerOptions {}

/** An App Router route handler; Next.js passes a `NextRequest`, which is a `Request`. */
export type RelayRouteHandler = (request: Request) => Promise<Response>;

/** One handler per method, so the contract (not Next.js) answers preflights and refuses other methods with 405. */
export interface RelayRouteHandlers {
  GET: RelayRouteHandler;
  POST: RelayRouteHandler;
  PUT: RelayRouteHandler;
  PATCH: RelayRouteHandler;
  DELETE: RelayRouteHandler;
  OPTIONS: RelayRouteHandler;
  /**
   * Stops the engine's redelivery worker and waits for spool writes and forwards in progress (a no-op
   * before the first request, which creates the engine). Not a route export: destructure the methods.
   */
  close(): Promise<void>;
}

function peerAddressOf(request: Request, peer: PeerAddress): string | undefined {
  return typeof peer === 'string' ? peer : peer(request);
}

/**
 * The Next.js glue shared by the relay and the tunnel: one handler for every method. The engine is compiled
 * on the first request, not at import: `next build` imports every route module, usually without the
 * runtime's secrets, so a wrong option shows up as an error on the first request. The route file decides
 * which path is answered, except for a tunnel with `managedPaths`: its handlers sit in a dynamic segment
 * (`app/[tunnel]/route.ts`), so they answer only the engine's own paths and 404 `not_found` elsewhere.
 */
function routeHandlers<O>(
  options: O & NextPeerOptions,
  create: (options: O) => Engine,
): RelayRouteHandlers {
  const { peerAddress, ...engineOptions } = options;
  if (typeof peerAddress !== 'string' && typeof peerAddress !== 'function') {
    throw new TypeError(
      'peerAddress is required: Next.js does not give route handlers the socket address. Pass the address of your proxy (and name it in trustProxy), or a function returning the address your platform vouches for.',
    );
  }
  const ownPathsOnly = (engineOptions as { managedPaths?: unknown }).managedPaths === true;
  let engine: Engine | undefined;
  const handler: RelayRouteHandler = async (request) => {
    engine ??= create(engineOptions as O);
    const path = new URL(request.url).pathname;
    if (ownPathsOnly && !engine.matches(path)) return toWebResponse(errorResponse('not_found', {}));
    return answerWebRequest(engine, request, peerAddressOf(request, peerAddress), { path });
  };
  return {
    GET: handler,
    POST: handler,
    PUT: handler,
    PATCH: handler,
    DELETE: handler,
    OPTIONS: handler,
    close: async () => engine?.close(),
  };
}

/**
 * Route handlers for `app/<route>/route.ts` (Node.js runtime). The relay is compiled on the first request,
 * not at import: `next build` imports every route module, usually without the runtime's secrets.
 *
 * @example
 * // app/debugbundle/browser/route.ts, with Next.js listening only behind a proxy at 10.0.0.2
 * import { posternRelay } from '@postern/next';
 *
 * export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = posternRelay({
 *   projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN!,
 *   allowedOrigins: ['https://app.example.com'],
 *   peerAddress: '10.0.0.2',
 *   trustProxy: '10.0.0.2',
 * });
 */
export function posternRelay(options: NextRelayOptions): RelayRouteHandlers {
  return routeHandlers(options, createBrowserRelay);
}

/**
 * Route handlers for the Sentry envelope tunnel in `app/postern/tunnel/route.ts` (Node.js runtime): point
 * the browser SDK's `tunnel` option at that route. Like the relay, the tunnel is compiled on the first
 * request, so `next build` needs no DSN. For `Sentry.init({ dsn, tunnel: true })`, put the handlers with
 * `managedPaths: true` in a dynamic segment where the SDK posts: `app/[tunnel]/route.ts`, or with
 * `basePath: '/monitoring'` (given to the SDK too) `app/monitoring/[tunnel]/route.ts`; they answer only the
 * tunnel's own paths there. A trailing slash (`tunnel: { trailingSlash: true }`) needs
 * `skipTrailingSlashRedirect: true` in `next.config`, or Next.js redirects the POST first.
 *
 * @example
 * // app/postern/tunnel/route.ts, with Next.js listening only behind a proxy at 10.0.0.2
 * import { posternTunnel } from '@postern/next';
 *
 * export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = posternTunnel({
 *   dsns: [process.env.SENTRY_DSN!],
 *   allowedOrigins: ['https://app.example.com'],
 *   peerAddress: '10.0.0.2',
 *   trustProxy: '10.0.0.2',
 * });
 * // in the browser: Sentry.init({ dsn, tunnel: '/postern/tunnel' })
 */
export function posternTunnel(options: NextTunnelOptions): RelayRouteHandlers {
  return routeHandlers(options, createTunnel);
}
