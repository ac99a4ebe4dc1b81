import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import {
  createBrowserRelay,
  createTunnel,
  type Engine,
  type BrowserRelayOptions,
  type TunnelOptions,
} from '@postern/core';
import { discardUnreadBody, toRelayRequest, withNodeTransport } from '@postern/node';

export type { BrowserRelayOptions, TunnelOptions } from '@postern/core';

/**
 * The Fastify glue shared by the relay and the tunnel, run inside the plugin's own encapsulated context:
 * the engine's route for every method (so the contract's 405 answers the rest), and a content-type parser
 * that hands the raw body stream to the engine, which reads it under its own cap. A parser that passes the
 * stream through is never subject to Fastify's `bodyLimit` (1 MiB by default), so the engine's cap is the
 * only one: 20 MiB envelopes reach the tunnel.
 */
function mount(fastify: FastifyInstance, engine: Engine, routes: readonly string[]): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  const answer = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const response = await engine.answer(toRelayRequest(request.raw));
    reply.raw.once('finish', () => discardUnreadBody(request.raw));
    return reply
      .code(response.status)
      .headers(response.headers)
      .send(response.body ?? undefined);
  };
  for (const route of routes) {
    fastify.all(route, answer);
    // One trailing slash is the same route (Sentry's `tunnel: { trailingSlash: true }` sends it), unless the
    // app's router already ignores trailing slashes, which makes the second route a duplicate.
    try {
      fastify.all(`${route}/`, answer);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'FST_ERR_DUPLICATED_ROUTE') throw error;
    }
  }
  // Fastify refuses some Content-Type headers (e.g. "text/html, application/json") before any parser runs;
  // the engine answers those itself, so the refusal carries the contract's order of checks and error code.
  fastify.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (typeof error.code === 'string' && error.code.startsWith('FST_ERR_CTP_'))
      return answer(request, reply);
    throw error;
  });
  // Lets the engine finish its work (spool writes, mirror copies) when the app closes.
  fastify.addHook('onClose', () => engine.close());
}

/** The engine's options; its `path` (default `/debugbundle/browser`) is the route the plugin registers. */
export interface FastifyRelayOptions extends BrowserRelayOptions {}

/**
 * An encapsulated Fastify plugin: it registers the relay route for every method (so the contract's 405
 * answers the rest) and, inside its own context only, a content-type parser that hands the raw body
 * stream to the engine, which reads it under its own cap.
 *
 * @example
 * import Fastify from 'fastify';
 * import { posternRelay } from '@postern/fastify';
 *
 * const app = Fastify();
 * await app.register(posternRelay, { projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN!, allowedOrigins: ['https://app.example.com'] });
 * await app.listen({ port: 3000 });
 */
export const posternRelay: FastifyPluginAsync<FastifyRelayOptions> = async (fastify, options) => {
  const relay = createBrowserRelay(withNodeTransport(options));
  mount(fastify, relay, [relay.path]);
};

/**
 * The engine's options: its fixed `path` (default `/postern/tunnel`, `false` for none) and, with
 * `managedPaths: true`, the managed paths are the routes the plugin registers.
 */
export interface FastifyTunnelOptions extends TunnelOptions {}

/**
 * An encapsulated Fastify plugin for the Sentry envelope tunnel, registered like `posternRelay`: its routes
 * for every method (the fixed `path` and, with `managedPaths: true`, the path `Sentry.init({ dsn, tunnel:
 * true })` derives from each DSN, each also with one trailing slash), and its own content-type parser handing
 * the raw stream to the engine, which reads it under `maxEnvelopeBytes` (20 MiB by default; Fastify's
 * `bodyLimit` does not apply to a passed-through stream). Put managed paths under a prefix with `basePath`,
 * not the plugin's `prefix`: the engine matches whole request paths.
 *
 * @example
 * import Fastify from 'fastify';
 * import { posternTunnel } from '@postern/fastify';
 *
 * const app = Fastify();
 * await app.register(posternTunnel, { dsns: [process.env.SENTRY_DSN!], managedPaths: true });
 * await app.listen({ port: 3000 });
 * // in the page served by this app: Sentry.init({ dsn, tunnel: true })
 */
export const posternTunnel: FastifyPluginAsync<FastifyTunnelOptions> = async (fastify, options) => {
  const tunnel = createTunnel(withNodeTransport(options));
  // The fixed path (unless `path: false`), then the managed paths.
  mount(fastify, tunnel, tunnel.paths);
};
