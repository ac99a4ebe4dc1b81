// #region readme
import { createServer } from 'node:http';
import { posternRelay, posternTunnel } from '@postern/node';
// #endregion
import { withBothRoutes } from '../options.mjs';

/**
 * A node:http server (not listening yet) with the relay and the Sentry tunnel. The conformance runner
 * builds it once per profile with the options of one protocol; the other route gets placeholder options
 * that no case reaches (`withBothRoutes` in ../options.mjs).
 */
export function createApp(options) {
  const { relayOptions, tunnelOptions } = withBothRoutes(options);
  // #region readme
  const relay = posternRelay(relayOptions);
  const tunnel = posternTunnel(tunnelOptions);
  // The tunnel answers its own paths and hands every other request to `next`: here the relay, which
  // answers its route and 404 for anything else (or hand it your app's own listener).
  const server = createServer((req, res) => tunnel(req, res, () => relay(req, res)));
  // #endregion
  return server;
}
