import { createServer, Server, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

/** A `node:http` request listener: `(req, res) => …`. An Express or Connect app is one. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Anything with a Web `fetch` handler: a Hono app, a Worker's default export, `{ fetch: createWebHandler(…) }`. */
export interface FetchApp {
  fetch(request: Request, ...platform: never[]): Response | Promise<Response>;
}

/** A Fastify instance, or anything else that hands over its `node:http` server once it is ready. */
export interface ServerApp {
  readonly server: Server;
  ready(): PromiseLike<unknown>;
}

/**
 * An app as a test suite holds it, the way supertest takes one: a request listener (an Express app), a
 * `node:http` server that is not listening yet, a Fastify instance, or an object with a `fetch` handler.
 * A bare fetch function goes in as `{ fetch }`: a function is taken as a request listener.
 */
export type ContractApp = NodeListener | Server | ServerApp | FetchApp;

export interface ServedApp {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  close(): Promise<void>;
}

function isServerApp(app: ContractApp): app is ServerApp {
  return typeof app === 'object' && 'server' in app && app.server instanceof Server;
}

function isFetchApp(app: ContractApp): app is FetchApp {
  return typeof (app as { fetch?: unknown }).fetch === 'function';
}

/** Headers as `Request` takes them: repeated headers joined, as Node joins them in `req.headers`. */
function webHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    headers.append(req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string);
  return headers;
}

/**
 * A `node:http` listener that answers through a fetch handler, streaming both ways so an answer can go
 * out before the request body has ended (the contract checks that). The handler gets, after the request,
 * `{ incoming, outgoing }` as `@hono/node-server` passes it, so Hono's `getConnInfo` and a Web handler's
 * `clientAddress(request, platform)` can read the socket's address.
 */
function fetchListener(app: FetchApp): NodeListener {
  return async (req, res) => {
    const method = req.method ?? 'GET';
    const hasBody = method !== 'GET' && method !== 'HEAD';
    const request = new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`, {
      method,
      headers: webHeaders(req),
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
    } as RequestInit);
    let response: Response;
    try {
      response = await (app.fetch as (request: Request, platform: unknown) => Promise<Response>)(
        request,
        { incoming: req, outgoing: res },
      );
    } catch (error) {
      res.destroy(error as Error);
      return;
    }
    const headers: Record<string, string | string[]> = {};
    response.headers.forEach((value, name) => {
      headers[name] = name === 'set-cookie' ? response.headers.getSetCookie() : value;
    });
    res.writeHead(response.status, headers);
    try {
      if (response.body !== null)
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
          res.write(chunk);
      res.end();
    } catch (error) {
      res.destroy(error as Error); // the handler's body failed midway: the client sees the cut
      return;
    }
    // Whatever the handler did not read is thrown away, and the connection stays usable.
    if (!req.complete) req.resume();
  };
}

async function toServer(app: ContractApp): Promise<Server> {
  if (app instanceof Server) return app;
  if (isServerApp(app)) {
    await app.ready();
    return app.server;
  }
  if (isFetchApp(app)) return createServer(fetchListener(app));
  if (typeof app === 'function') return createServer(app);
  throw new TypeError(
    'runContract takes a request listener (an Express app), a node:http Server, a Fastify instance or an object with a fetch handler',
  );
}

/** Listens on a fresh loopback port, unless the server already listens (then it is used where it is and left open). */
export async function serveApp(app: ContractApp): Promise<ServedApp> {
  const server = await toServer(app);
  const listening = server.address();
  if (listening !== null && typeof listening === 'object')
    return { origin: `http://127.0.0.1:${listening.port}`, close: async () => undefined };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
