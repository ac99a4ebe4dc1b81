import type { IncomingMessage, ServerResponse } from 'node:http';
import { withNodeTransport } from './transport.js';
import {
  createBrowserRelay,
  createTunnel,
  errorResponse,
  type Engine,
  type RelayBody,
  type BrowserRelayOptions,
  type RelayRequest,
  type RelayResponse,
  type TunnelOptions,
} from '@postern/core';

export type { BrowserRelayOptions, TunnelOptions } from '@postern/core';
export { undiciTransport, withNodeTransport } from './transport.js';

/**
 * A class, not an object literal with a getter and closures: one is built per request, and building the
 * literal's accessor was a measurable cost of every answer, refusals included.
 */
class NodeRelayRequest implements RelayRequest {
  readonly method: string;
  readonly path: string | undefined;
  readonly clientAddress: string | undefined;
  constructor(
    private readonly req: IncomingMessage,
    private readonly parsed: RelayBody,
  ) {
    this.method = req.method ?? 'GET';
    // Express rewrites `url` under a mount path and keeps the whole target in `originalUrl`.
    this.path = (req as { originalUrl?: string }).originalUrl ?? req.url;
    this.clientAddress = req.socket.remoteAddress;
  }
  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }
  get body(): RelayBody {
    return this.parsed !== undefined ? this.parsed : this.req;
  }
}

/**
 * The engine's view of a Node request: headers and method read lazily from the request itself, the client
 * address from the socket, and the body as the request stream (read by core under its cap, never destroyed,
 * so an early 413 still reaches the client). `body` replaces the stream when a framework has already read it.
 */
export function toRelayRequest(req: IncomingMessage, body?: RelayBody): RelayRequest {
  return new NodeRelayRequest(req, body);
}

/** Writes the engine's answer, then throws away whatever body the engine chose not to read (memory stays bounded). */
export function writeRelayResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: RelayResponse,
): void {
  // A known length instead of chunked framing: clients (and Chromium's request tracking) see the answer end.
  if (response.body !== null)
    response.headers['content-length'] = String(Buffer.byteLength(response.body));
  res.writeHead(response.status, response.headers);
  res.end(response.body ?? undefined);
  discardUnreadBody(req);
}

/**
 * Runs a Node request through an engine and writes its answer; `failed` gets what went wrong while writing.
 * A refusal is known at once (`Engine.answer`) and written without a promise. `body` replaces the request
 * stream when a framework has already read it.
 */
export function answerNodeRequest(
  engine: Engine,
  req: IncomingMessage,
  res: ServerResponse,
  failed: (error: unknown) => void,
  body?: RelayBody,
): void {
  const response = engine.answer(toRelayRequest(req, body));
  if (response instanceof Promise) {
    response.then((done) => writeRelayResponse(req, res, done), failed);
    return;
  }
  try {
    writeRelayResponse(req, res, response);
  } catch (error) {
    failed(error);
  }
}

/** Keeps the connection usable after an early answer (413, say) without buffering the rest of the body. */
export function discardUnreadBody(req: IncomingMessage): void {
  if (!req.complete) req.resume();
}

/** A `node:http` request listener; `next`, when given, receives every request off the engine's path. */
export type NodeListener = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** A listener for an engine's paths, with `close()`: stops the engine's redelivery worker and waits for spool writes and forwards in progress. */
export type NodeHandler = NodeListener & { close(): Promise<void> };

/**
 * The node:http glue shared by the relay and the tunnel: answers the engine's paths (`engine.matches`: the
 * relay's route; the tunnel's fixed path and managed paths) and nothing else; other paths go to `next` when
 * given (so it can sit in front of an app), or get a 404.
 */
export function createNodeHandler(engine: Engine): NodeHandler {
  const listener: NodeListener = (req, res, next) => {
    if (!engine.matches(req.url ?? '/')) {
      if (next) return next();
      return writeRelayResponse(req, res, errorResponse('not_found', {}));
    }
    answerNodeRequest(engine, req, res, next ?? ((error: unknown) => res.destroy(error as Error)));
  };
  return Object.assign(listener, { close: () => engine.close() });
}

export interface NodeRelayOptions extends BrowserRelayOptions {}

/**
 * A `node:http` request listener that answers the relay route (`path`, default `/debugbundle/browser`) and
 * nothing else: other paths go to `next` when given (so it can sit in front of an app), or get a 404.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { posternRelay } from '@postern/node';
 *
 * const relay = posternRelay({ projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN!, allowedOrigins: ['https://app.example.com'] });
 * createServer((req, res) => relay(req, res)).listen(3000);
 */
export function posternRelay(options: NodeRelayOptions): NodeHandler {
  return createNodeHandler(createBrowserRelay(withNodeTransport(options)));
}

export interface NodeTunnelOptions extends TunnelOptions {}

/**
 * A `node:http` request listener for the Sentry envelope tunnel (`path`, default `/postern/tunnel`): point
 * the browser SDK's `tunnel` option at it. With `managedPaths: true` it also answers the path
 * `Sentry.init({ dsn, tunnel: true })` derives from each DSN. Other paths go to `next` when given, or get a
 * 404, so it chains with `posternRelay`.
 *
 * @example
 * import { createServer } from 'node:http';
 * import { posternRelay, posternTunnel } from '@postern/node';
 *
 * const relay = posternRelay({ projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN!, allowedOrigins: ['https://app.example.com'] });
 * const tunnel = posternTunnel({ dsns: [process.env.SENTRY_DSN!], allowedOrigins: ['https://app.example.com'] });
 * createServer((req, res) => tunnel(req, res, () => relay(req, res))).listen(3000);
 */
export function posternTunnel(options: NodeTunnelOptions): NodeHandler {
  return createNodeHandler(createTunnel(withNodeTransport(options)));
}
