import type { Context, Handler } from 'hono';
import type { GetConnInfo } from 'hono/conninfo';
import { createRelay, type RelayOptions, type RelayRequest } from '@postern/core';

export type { RelayOptions } from '@postern/core';

export interface HonoRelayOptions extends RelayOptions {
  /**
   * How your runtime reports the socket peer: `getConnInfo` from `@hono/node-server/conninfo` on Node,
   * or from `hono/bun`, `hono/deno`, `hono/cloudflare-workers`. Hono's Web `Request` carries no address,
   * and a header is never the peer, so the adapter asks for this rather than guessing the runtime.
   */
  getConnInfo: GetConnInfo;
}

/** The engine's view of a Hono request: headers read from the Web request, the body as its stream. */
function toRelayRequest(c: Context, getConnInfo: GetConnInfo): RelayRequest {
  const request = c.req.raw;
  return {
    method: request.method,
    header: (name) => request.headers.get(name) ?? undefined,
    clientAddress: getConnInfo(c).remote.address,
    body: request.body,
  };
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
export function posternRelay(options: HonoRelayOptions): Handler {
  const { getConnInfo, ...relayOptions } = options;
  if (typeof getConnInfo !== 'function') {
    throw new TypeError("getConnInfo is required: pass getConnInfo from '@hono/node-server/conninfo' (or hono/bun, hono/deno, hono/cloudflare-workers) so the relay knows the client's address.");
  }
  const relay = createRelay(relayOptions);
  return async (c) => {
    const response = await relay.handle(toRelayRequest(c, getConnInfo));
    return new Response(response.body, { status: response.status, headers: response.headers });
  };
}
