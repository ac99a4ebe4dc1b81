import type { MiddlewareHandler } from 'hono';
import type { GetConnInfo } from 'hono/conninfo';
import {
  answerWebRequest,
  createBrowserRelay,
  createTunnel,
  type Engine,
  type BrowserRelayOptions,
  type TunnelOptions,
} from '@postern/core';

export type { BrowserRelayOptions, TunnelOptions } from '@postern/core';

export interface HonoConnInfo {
  /**
   * How your runtime reports the socket peer: `getConnInfo` from `@hono/node-server/conninfo` on Node,
   * or from `hono/bun`, `hono/deno`, `hono/cloudflare-workers`. Hono's Web `Request` carries no address,
   * and a header is never the peer, so the adapter asks for this rather than guessing the runtime.
   */
  getConnInfo: GetConnInfo;
}

export interface HonoRelayOptions extends BrowserRelayOptions, HonoConnInfo {}

export interface HonoTunnelOptions extends TunnelOptions, HonoConnInfo {}

/**
 * The Hono glue shared by the relay and the tunnel: checks `getConnInfo`, then compiles the engine with the
 * rest of the options. On a route of its own (`app.all('/postern/tunnel', …)`) the route decides; as
 * middleware or on a wildcard route (`app.use(…)`, `app.all('/monitoring/*', …)`) the engine's own paths
 * do (`engine.matches`), and every other request goes on to `next`.
 */
/** Hono middleware, with `close()`: stops the engine's redelivery worker and waits for spool writes and forwards in progress. */
export type PosternMiddleware = MiddlewareHandler & { close(): Promise<void> };

function honoHandler<O>(
  options: O & HonoConnInfo,
  create: (options: O) => Engine,
): PosternMiddleware {
  const { getConnInfo, ...engineOptions } = options;
  if (typeof getConnInfo !== 'function') {
    throw new TypeError(
      "getConnInfo is required: pass getConnInfo from '@hono/node-server/conninfo' (or hono/bun, hono/deno, hono/cloudflare-workers) so the relay knows the client's address.",
    );
  }
  const engine = create(engineOptions as O);
  const middleware: MiddlewareHandler = async (c, next) => {
    if (!engine.matches(c.req.path) && /[*:]/.test(c.req.routePath)) return next();
    return answerWebRequest(engine, c.req.raw, getConnInfo(c).remote.address, { path: c.req.path });
  };
  return Object.assign(middleware, { close: () => engine.close() });
}

/**
 * A Hono handler for the relay route. Register it for every method with `app.all` (or `app.on`) so the
 * contract's 405 and preflight answers come from the relay, and before any middleware that reads the body.
 *
 * @example
 * import { Hono } from 'hono';
 * import { serve } from '@hono/node-server';
 * import { getConnInfo } from '@hono/node-server/conninfo';
 * import { posternRelay } from '@postern/hono';
 *
 * const app = new Hono();
 * app.all('/debugbundle/browser', posternRelay({ projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN!, allowedOrigins: ['https://app.example.com'], getConnInfo }));
 * serve({ fetch: app.fetch, port: 3000 });
 */
export function posternRelay(options: HonoRelayOptions): PosternMiddleware {
  return honoHandler(options, createBrowserRelay);
}

/**
 * A Hono handler for the Sentry envelope tunnel: point the browser SDK's `tunnel` option at its route.
 * Register it as middleware with `app.use(…)`, where it answers its own paths (`path`, and with
 * `managedPaths: true` the path `Sentry.init({ dsn, tunnel: true })` derives from each DSN) and passes
 * every other request on; or on a route of its own with `app.all`. Either way before any middleware that
 * reads the body: the engine reads the envelope stream itself under `maxEnvelopeBytes`.
 *
 * @example
 * import { Hono } from 'hono';
 * import { serve } from '@hono/node-server';
 * import { getConnInfo } from '@hono/node-server/conninfo';
 * import { posternTunnel } from '@postern/hono';
 *
 * const app = new Hono();
 * app.use(posternTunnel({ dsns: [process.env.SENTRY_DSN!], managedPaths: true, getConnInfo }));
 * serve({ fetch: app.fetch, port: 3000 });
 * // in the page served by this app: Sentry.init({ dsn, tunnel: true })
 */
export function posternTunnel(options: HonoTunnelOptions): PosternMiddleware {
  return honoHandler(options, createTunnel);
}
