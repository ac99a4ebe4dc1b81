import { createBrowserRelay, createTunnel, createWebHandler } from '@postern/core';

// Deno.serve's handler: the relay and the Sentry tunnel, each on its own paths, 404 elsewhere.
// The client's address is the TCP peer Deno passes in `info.remoteAddr`, which no request header can change.
export function createHandler({ relayOptions, tunnelOptions }) {
  return createWebHandler([createBrowserRelay(relayOptions), createTunnel(tunnelOptions)], {
    clientAddress: (_request, info) => info.remoteAddr.hostname,
  });
}
