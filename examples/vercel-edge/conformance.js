// The Edge Function the conformance matrix runs in edge-runtime, Vercel's emulator of its Edge runtime:
// api/relay.js's handler, configured from the profile the runner passes in its environment
// (POSTERN_PROTOCOL, POSTERN_PROFILE) instead of the example's variables.
import {
  createBrowserRelay,
  createTunnel,
  createWebHandler,
  vercelClientAddress,
} from '@postern/core';
import { optionsFromEnv } from '../options.mjs';

export const config = { runtime: 'edge' };

const { relayOptions, tunnelOptions } = optionsFromEnv(process.env);

export default createWebHandler(
  relayOptions ? createBrowserRelay(relayOptions) : createTunnel(tunnelOptions),
  { clientAddress: vercelClientAddress },
);
