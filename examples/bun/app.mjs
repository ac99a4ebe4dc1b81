import { createBrowserRelay, createTunnel, createWebHandler } from '@postern/core';

// Bun.serve's fetch handler: the relay and the Sentry tunnel, each on its own paths, 404 elsewhere.
// The client's address is the TCP peer Bun reports, which no request header can change.
export function createFetch({ relayOptions, tunnelOptions }) {
  return createWebHandler([createBrowserRelay(relayOptions), createTunnel(tunnelOptions)], {
    clientAddress: (request, server) => server.requestIP(request)?.address,
  });
}
