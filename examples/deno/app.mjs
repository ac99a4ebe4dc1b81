import { createBrowserRelay, createTunnel, createWebHandler } from '@postern/core';

// Deno.serve's handler: the relay and the Sentry tunnel, each where it is configured, 404 elsewhere.
// The client's address is the TCP peer Deno passes in `info.remoteAddr`, which no request header can change.
export function createHandler({ relayOptions, tunnelOptions }) {
  const engines = [
    relayOptions && createBrowserRelay(relayOptions),
    tunnelOptions && createTunnel(tunnelOptions),
  ].filter(Boolean);
  return createWebHandler(engines, { clientAddress: (_request, info) => info.remoteAddr.hostname });
}
