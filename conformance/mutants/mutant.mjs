// Builds a deliberately broken relay from the real engine plus one wrong step, so each mutant differs
// from a conforming relay in exactly the way its name says. @postern/core and @postern/node come from
// the workspace; they are not dependencies of the published runner.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:http';
import { createBrowserRelay, createTunnel } from '@postern/core';
import { toRelayRequest, writeRelayResponse } from '@postern/node';

const perRequest = new AsyncLocalStorage();

/** The request being handled, for broken upstream clients that need to peek at it. */
export function currentRequest() {
  return perRequest.getStore();
}

/** Reads a whole Node request into memory: itself a bug for a relay, used only where a mutant needs it. */
export async function buffer(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * @param {object} breakage
 * @param {(req: import('node:http').IncomingMessage, relayRequest: object) => Promise<object> | object} [breakage.request]
 * @param {(response: object) => object} [breakage.response]
 * @param {(realFetch: typeof fetch) => typeof fetch} [breakage.fetch]
 */
export function mutant(breakage) {
  return (options, config) => {
    const create = config?.protocol === 'sentry-tunnel' ? createTunnel : createBrowserRelay;
    const relay = create({
      ...options,
      fetch: breakage.fetch ? breakage.fetch(globalThis.fetch) : undefined,
    });
    return createServer((req, res) => {
      const context = { req, options };
      perRequest
        .run(context, async () => {
          let relayRequest = toRelayRequest(req);
          if (breakage.request) relayRequest = await breakage.request(req, relayRequest, context);
          let response = await relay.handle(relayRequest);
          if (breakage.response) response = breakage.response(response);
          writeRelayResponse(req, res, response);
        })
        // A buffering mutant sees the runner give up on a held-open body as an aborted request.
        .catch(() => res.destroy());
    });
  };
}

/** A RelayRequest with some headers replaced (undefined removes). */
export function withHeaders(relayRequest, overrides) {
  return {
    ...relayRequest,
    body: relayRequest.body,
    header: (name) =>
      Object.hasOwn(overrides, name) ? overrides[name] : relayRequest.header(name),
  };
}

/** Rewrites the JSON body of upstream calls. */
export function rewriteUpstream(edit) {
  return (realFetch) => (url, init) => {
    const body = JSON.parse(init.body);
    const replaced = edit(body, currentRequest());
    if (replaced instanceof Response) return Promise.resolve(replaced);
    return realFetch(url, { ...init, body: JSON.stringify(body) });
  };
}
