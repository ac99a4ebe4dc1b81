// #region readme
import express from 'express';
import { posternRelay, posternTunnel } from '@postern/express';
// #endregion
import { withBothRoutes } from '../options.mjs';

/**
 * The app, with the relay and the Sentry tunnel mounted ahead of its own body parsers and routes. The
 * conformance runner builds it once per profile with the options of one protocol; the other route gets
 * placeholder options that no case reaches (`withBothRoutes` in ../options.mjs).
 */
export function createApp(options) {
  const { relayOptions, tunnelOptions } = withBothRoutes(options);
  // #region readme
  const app = express();
  app.use('/debugbundle/browser', posternRelay(relayOptions));
  // At the app root the tunnel answers its own paths: /postern/tunnel, and with managedPaths the path
  // Sentry.init({ dsn, tunnel: true }) derives from each DSN. Every other request goes on to the app.
  app.use(posternTunnel(tunnelOptions));
  app.use(express.json()); // the app's own body parsers come after both
  // #endregion
  app.get('/', (_req, res) => res.send('the app itself'));
  return app;
}
