import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createRelay, type RelayOptions } from '@postern/core';
import { discardUnreadBody, toRelayRequest } from '@postern/node';

export type { RelayOptions } from '@postern/core';

export interface FastifyRelayOptions extends RelayOptions {
  /** The route to answer on. Default `/debugbundle/browser`. */
  routePath?: string;
}

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
  const { routePath, ...relayOptions } = options;
  const relay = createRelay(relayOptions);
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  const answer = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const response = await relay.handle(toRelayRequest(request.raw));
    reply.raw.once('finish', () => discardUnreadBody(request.raw));
    return reply.code(response.status).headers(response.headers).send(response.body ?? undefined);
  };
  fastify.all(routePath ?? relay.path, answer);
  // Fastify refuses some Content-Type headers (e.g. "text/html, application/json") before any parser runs;
  // the engine answers those itself, so the refusal carries the contract's order of checks and error code.
  fastify.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (typeof error.code === 'string' && error.code.startsWith('FST_ERR_CTP_')) return answer(request, reply);
    throw error;
  });
};
