// The Worker the conformance matrix runs: worker.js's handler, configured from the profile the runner
// passes (the POSTERN_PROTOCOL and POSTERN_PROFILE bindings) instead of the example's vars.
import {
  cloudflareClientAddress,
  createBrowserRelay,
  createTunnel,
  createWebHandler,
} from '@postern/core';
import { optionsFromEnv } from '../../options.mjs';

let handle;

export default {
  fetch(request, env) {
    if (handle === undefined) {
      const { relayOptions, tunnelOptions } = optionsFromEnv(env);
      handle = createWebHandler(
        relayOptions ? createBrowserRelay(relayOptions) : createTunnel(tunnelOptions),
        { clientAddress: cloudflareClientAddress },
      );
    }
    return handle(request);
  },
};
