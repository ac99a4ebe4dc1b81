import type { Request, RequestHandler } from 'express';
import { createRelay, type RelayBody, type RelayOptions } from '@postern/core';
import { toRelayRequest, writeRelayResponse } from '@postern/node';

export type { RelayOptions } from '@postern/core';

/** The body a parser such as express.json() already read off the stream, in bytes the engine can re-read; undefined while the stream is unread. */
function alreadyParsedBody(req: Request): RelayBody {
  if (!req.readableEnded) return undefined;
  const body: unknown = req.body;
  if (body === undefined) return '';
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  return JSON.stringify(body);
}

export interface ExpressRelayOptions extends RelayOptions {}

/**
 * Express middleware for the relay route. Mount it with `app.use(path, …)` (any method reaches it, so
 * other methods get the contract's 405) or as a route handler. Mount it before body parsers: if
 * `express.json()` already read the body, the parsed body is relayed instead and the parser's own
 * limits and errors apply first.
 *
 * @example
 * import express from 'express';
 * import { posternRelay } from '@postern/express';
 *
 * const app = express();
 * app.use('/debugbundle/browser', posternRelay({ projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN!, allowedOrigins: ['https://app.example.com'] }));
 * app.listen(3000);
 */
export function posternRelay(options: ExpressRelayOptions): RequestHandler {
  const relay = createRelay(options);
  return (req, res, next) => {
    // Mounted with app.use, only the mount path itself is the relay route.
    if (req.route === undefined && req.path !== '/') return next();
    relay.handle(toRelayRequest(req, alreadyParsedBody(req))).then((response) => writeRelayResponse(req, res, response), next);
  };
}
