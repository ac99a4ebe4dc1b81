import type { Request, RequestHandler } from 'express';
import {
  createBrowserRelay,
  createTunnel,
  type Engine,
  type RelayBody,
  type BrowserRelayOptions,
  type TunnelOptions,
} from '@postern/core';
import { answerNodeRequest, withNodeTransport } from '@postern/node';

export type { BrowserRelayOptions, TunnelOptions } from '@postern/core';

/**
 * The body a parser already read off the stream, in bytes the engine can re-read; undefined while the
 * stream is unread. A string (`express.text()`) or Buffer (`express.raw()`) is used as is; what to do with
 * a parsed object (`express.json()`) is the caller's.
 */
function alreadyReadBody(req: Request, parsed: (body: unknown) => RelayBody): RelayBody {
  if (!req.readableEnded) return undefined;
  const body: unknown = req.body;
  if (body === undefined) return '';
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  return parsed(body);
}

/** A browser batch survives parsing: the parsed JSON is serialised again. */
const batchBody = (req: Request): RelayBody => alreadyReadBody(req, (body) => JSON.stringify(body));

/** An envelope does not: nothing rebuilds its bytes from a parsed object, so that is a mounting error, for `next(error)`. */
const envelopeBody = (req: Request): RelayBody =>
  alreadyReadBody(req, () => {
    throw new TypeError(
      'posternTunnel: a body parser already parsed this request, and an envelope cannot be rebuilt from the result. Mount posternTunnel before express.json() and other body parsers.',
    );
  });

/**
 * The Express glue shared by the relay and the tunnel. As a route handler (`app.all`), the route decides.
 * As middleware it answers the engine's own paths (`engine.matches`, against the whole request path), so
 * `app.use(posternTunnel(…))` at the app root serves the tunnel's fixed path and its managed paths; mounted
 * with `app.use(path, …)`, it also answers that mount path itself (unless it serves managed paths, whose
 * base alone is not a route). Everything else goes to `next`.
 */
/** Express middleware, with `close()`: stops the engine's redelivery worker and waits for spool writes and forwards in progress. */
export type PosternHandler = RequestHandler & { close(): Promise<void> };

function expressHandler(
  engine: Engine,
  bodyOf: (req: Request) => RelayBody,
  answersMountPath: boolean,
): PosternHandler {
  const handler: RequestHandler = (req, res, next) => {
    if (
      req.route === undefined &&
      !(answersMountPath && req.baseUrl !== '' && req.path === '/') &&
      !engine.matches(req.originalUrl)
    )
      return next();
    let body: RelayBody;
    try {
      body = bodyOf(req);
    } catch (error) {
      return next(error);
    }
    answerNodeRequest(engine, req, res, next, body);
  };
  return Object.assign(handler, { close: () => engine.close() });
}

export interface ExpressRelayOptions extends BrowserRelayOptions {}

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
export function posternRelay(options: ExpressRelayOptions): PosternHandler {
  return expressHandler(createBrowserRelay(withNodeTransport(options)), batchBody, true);
}

export interface ExpressTunnelOptions extends TunnelOptions {}

/**
 * Express middleware for the Sentry envelope tunnel: point the browser SDK's `tunnel` option at its path.
 * Mount it at the app root with `app.use(posternTunnel(…))` (it answers its own paths: `path`, and with
 * `managedPaths: true` the path `Sentry.init({ dsn, tunnel: true })` derives from each DSN), or like the
 * relay with `app.use(path, …)` or `app.all`. Mount it before body parsers: the engine reads
 * the raw envelope under `maxEnvelopeBytes` (20 MiB by default). If a parser ran first, a Buffer body
 * (`express.raw()`) is forwarded as read and a string (`express.text()`) as its UTF-8 bytes; a parsed
 * object cannot be turned back into an envelope, so the request goes to `next(error)`.
 *
 * @example
 * import express from 'express';
 * import { posternTunnel } from '@postern/express';
 *
 * const app = express();
 * app.use(posternTunnel({ dsns: [process.env.SENTRY_DSN!], managedPaths: true }));
 * app.listen(3000);
 * // in the page served by this app: Sentry.init({ dsn, tunnel: true })
 */
export function posternTunnel(options: ExpressTunnelOptions): PosternHandler {
  // With managed paths the tunnel answers only its own paths: a mount path alone is not one (R-MANAGED-7).
  return expressHandler(
    createTunnel(withNodeTransport(options)),
    envelopeBody,
    options.managedPaths !== true,
  );
}
