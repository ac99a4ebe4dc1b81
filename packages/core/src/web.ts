import type { Engine } from './engine.js';
import type { RelayBody, RelayResponse } from './request.js';
import { errorResponse } from './respond.js';

/**
 * Who connected, as the platform vouches for it: never a header a client can set, unless the platform
 * itself overwrites that header on every request (Cloudflare's `CF-Connecting-IP` on Workers).
 */
export type WebClientAddress<P> = (request: Request, platform: P | undefined) => string | undefined;

/** A Web runtime's request handler: a Worker's `fetch`, `Deno.serve`'s and `Bun.serve`'s handler alike. */
export type WebHandler<P = unknown> = (request: Request, platform?: P) => Promise<Response>;

/** The engine's answer as a Web `Response`. */
export function toWebResponse(response: RelayResponse): Response {
  return new Response(response.body, { status: response.status, headers: response.headers });
}

/** What a framework already knows about a request, so the conversion need not work it out again. */
export interface WebRequestParts {
  /** The path the framework parsed (Hono's `c.req.path`, SvelteKit's `event.url.pathname`); else from `request.url`. */
  path?: string;
  /**
   * Replaces `request.body` where the framework hands the stream over another way (SvelteKit on
   * adapter-node); called only if the engine reads the body, so a request refused before that leaves the
   * stream untouched.
   */
  body?: () => RelayBody;
}

/**
 * Answers a Web `Request` with an engine: the one conversion every Web adapter (Hono, Next.js, SvelteKit)
 * and `createWebHandler` share.
 */
export async function answerWebRequest(
  engine: Engine,
  request: Request,
  clientAddress: string | undefined,
  parts: WebRequestParts = {},
): Promise<Response> {
  const bodyOf = parts.body;
  const response = await engine.handle({
    method: request.method,
    header: (name) => request.headers.get(name) ?? undefined,
    clientAddress,
    get body() {
      return bodyOf ? bodyOf() : request.body;
    },
    path: parts.path ?? new URL(request.url).pathname,
  });
  return toWebResponse(response);
}

/**
 * A `(request, platform?) => Promise<Response>` handler for the relay, the tunnel or both, on any runtime with
 * `Request`, `Response` and `fetch`: a request on an engine's paths goes to the first engine that matches it,
 * any other gets `404 not_found`. `clientAddress` says where the peer's address comes from on that runtime:
 * `cloudflareClientAddress`, `vercelClientAddress`, or your own (with Deno, `info.remoteAddr.hostname` from
 * `Deno.serve`'s second argument; with Bun, `server.requestIP(request)?.address`).
 *
 * @example
 * // A Cloudflare Worker (module syntax)
 * import { cloudflareClientAddress, createBrowserRelay, createWebHandler, type WebHandler } from '@postern/core';
 *
 * let fetchHandler: WebHandler | undefined;
 * export default {
 *   fetch(request: Request, env: { DEBUGBUNDLE_PROJECT_TOKEN: string }): Promise<Response> {
 *     fetchHandler ??= createWebHandler(createBrowserRelay({ projectToken: env.DEBUGBUNDLE_PROJECT_TOKEN }), { clientAddress: cloudflareClientAddress });
 *     return fetchHandler(request);
 *   },
 * };
 */
export function createWebHandler<P = unknown>(
  engines: Engine | readonly Engine[],
  options: { clientAddress: WebClientAddress<P> },
): WebHandler<P> {
  const clientAddress = options?.clientAddress;
  if (typeof clientAddress !== 'function') {
    throw new TypeError(
      'clientAddress is required: pass cloudflareClientAddress or vercelClientAddress for your platform, or a function returning the address it vouches for (never a header a client can set).',
    );
  }
  const list: readonly Engine[] = Array.isArray(engines) ? engines : [engines as Engine];
  return async (request, platform) => {
    const path = new URL(request.url).pathname;
    const engine = list.find((candidate) => candidate.matches(path));
    return engine === undefined
      ? toWebResponse(errorResponse('not_found', {}))
      : answerWebRequest(engine, request, clientAddress(request, platform), { path });
  };
}

/**
 * On Cloudflare Workers: `CF-Connecting-IP`, the client's address as Cloudflare's edge sets it on every
 * request it proxies (developers.cloudflare.com/fundamentals/reference/http-headers/). Anywhere else
 * (workerd or `wrangler dev` without Cloudflare in front) a client can send that header, so use this only in
 * a Worker deployed behind Cloudflare.
 */
export const cloudflareClientAddress: WebClientAddress<unknown> = (request) =>
  request.headers.get('cf-connecting-ip') ?? undefined;

/**
 * On Vercel: `X-Real-IP`, the client's public address as Vercel's edge sets it (Vercel also overwrites
 * `X-Forwarded-For` "to prevent IP spoofing": vercel.com/docs/headers/request-headers). Only on Vercel.
 */
export const vercelClientAddress: WebClientAddress<unknown> = (request) =>
  request.headers.get('x-real-ip') ?? undefined;
