import type { Handle, RequestEvent, RequestHandler } from '@sveltejs/kit';
import { createRelay, DEFAULTS, matchesPath, type Relay, type RelayOptions, type RelayRequest } from '@postern/core';

export type { RelayOptions } from '@postern/core';

export interface SvelteKitRelayOptions extends RelayOptions {}

/** Reads what is left of a body and drops it, so the connection stays usable. */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    while (!(await reader.read()).done);
  } catch {
    // the client went away or the adapter's own size limit stopped the stream: nothing left to read
  }
}

/**
 * The body as a stream whose cancellation discards the rest instead of cancelling the request's own
 * stream: adapter-node destroys the socket when that is cancelled, which would cut off the engine's early
 * 413 before the client reads it (fixture browser/8/5).
 */
function discardOnCancel(body: ReadableStream<Uint8Array> | null): ReadableStream<Uint8Array> | null {
  if (body === null) return null;
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel() {
      void discard(reader);
    },
  });
}

/**
 * The engine's view of a SvelteKit request. The client address is `event.getClientAddress()`: with
 * adapter-node that is the socket peer, or the address its `ADDRESS_HEADER` / `XFF_DEPTH` settings vouch for.
 */
function toRelayRequest(event: RequestEvent): RelayRequest {
  const { request } = event;
  return {
    method: request.method,
    header: (name) => request.headers.get(name) ?? undefined,
    clientAddress: event.getClientAddress(),
    body: discardOnCancel(request.body),
  };
}

/**
 * Answers a request through the relay, compiled on the first request rather than at import: `vite build`
 * imports server routes to analyse them, usually without the runtime's secrets.
 */
function relayAnswer(options: SvelteKitRelayOptions): (event: RequestEvent) => Promise<Response> {
  let relay: Relay | undefined;
  return async (event) => {
    relay ??= createRelay(options);
    const response = await relay.handle(toRelayRequest(event));
    return new Response(response.body, { status: response.status, headers: response.headers });
  };
}

/**
 * A request handler for `src/routes/<route>/+server.ts`. Export it as `fallback` so every method reaches
 * it: the relay answers preflights and refuses other methods with the contract's 405.
 *
 * @example
 * // src/routes/debugbundle/browser/+server.ts
 * import { env } from '$env/dynamic/private';
 * import { posternRelay } from '@postern/sveltekit';
 *
 * export const fallback = posternRelay({ projectToken: env.DEBUGBUNDLE_PROJECT_TOKEN!, allowedOrigins: ['https://app.example.com'] });
 */
export function posternRelay(options: SvelteKitRelayOptions): RequestHandler {
  return relayAnswer(options);
}

/**
 * A `handle` hook that answers the relay route (`path`, default `/debugbundle/browser`) before the app's
 * own hooks and routes run, and resolves every other request as usual. Combine it with yours via `sequence`.
 *
 * @example
 * // src/hooks.server.ts
 * import { env } from '$env/dynamic/private';
 * import { posternHandle } from '@postern/sveltekit';
 *
 * export const handle = posternHandle({ projectToken: env.DEBUGBUNDLE_PROJECT_TOKEN!, allowedOrigins: ['https://app.example.com'] });
 */
export function posternHandle(options: SvelteKitRelayOptions): Handle {
  const path = options.path ?? DEFAULTS.path;
  const answer = relayAnswer(options);
  return ({ event, resolve }) => (matchesPath(event.url.pathname, path) ? answer(event) : resolve(event));
}
