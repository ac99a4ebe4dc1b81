import { createBrowserRelay, createTunnel, createWebHandler } from '@postern/core';

// Bun.serve's fetch handler: the relay and the Sentry tunnel, each where it is configured, 404 elsewhere.
// The client's address is the TCP peer Bun reports, which no request header can change.
export function createFetch({ relayOptions, tunnelOptions }) {
  const engines = [
    relayOptions && createBrowserRelay(relayOptions),
    tunnelOptions && createTunnel(tunnelOptions),
  ].filter(Boolean);
  return createWebHandler(engines, {
    clientAddress: (request, server) => server.requestIP(request)?.address,
  });
}
