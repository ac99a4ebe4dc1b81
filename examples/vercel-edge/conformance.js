// The Edge Function the conformance matrix runs in edge-runtime, Vercel's emulator of its Edge runtime:
// api/relay.js's handler, configured from the profile the runner passes in its environment
// (POSTERN_PROTOCOL, POSTERN_PROFILE) instead of the example's variables; the route the profile does not
// test gets placeholder options.
import {
  createBrowserRelay,
  createTunnel,
  createWebHandler,
  vercelClientAddress,
} from '@postern/core';
import { optionsFromEnv, withBothRoutes } from '../options.mjs';

export const config = { runtime: 'edge' };

const { relayOptions, tunnelOptions } = withBothRoutes(optionsFromEnv(process.env));

export default createWebHandler([createBrowserRelay(relayOptions), createTunnel(tunnelOptions)], {
  clientAddress: vercelClientAddress,
});
