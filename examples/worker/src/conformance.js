// The Worker the conformance matrix runs: worker.js's handler, configured from the profile the runner
// passes (the POSTERN_PROTOCOL and POSTERN_PROFILE bindings) instead of the example's vars; the route the
// profile does not test gets placeholder options.
import {
  cloudflareClientAddress,
  createBrowserRelay,
  createTunnel,
  createWebHandler,
} from '@postern/core';
import { optionsFromEnv, withBothRoutes } from '../../options.mjs';

let handle;

export default {
  fetch(request, env) {
    if (handle === undefined) {
      const { relayOptions, tunnelOptions } = withBothRoutes(optionsFromEnv(env));
      handle = createWebHandler([createBrowserRelay(relayOptions), createTunnel(tunnelOptions)], {
        clientAddress: cloudflareClientAddress,
      });
    }
    return handle(request);
  },
};
