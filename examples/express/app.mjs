import express from 'express';
import { posternRelay, posternTunnel } from '@postern/express';

export function createApp({ relayOptions, tunnelOptions }) {
  const app = express();
  if (relayOptions) app.use('/debugbundle/browser', posternRelay(relayOptions));
  // At the app root the tunnel answers its own paths: /postern/tunnel, and with managedPaths the path
  // Sentry.init({ dsn, tunnel: true }) derives from each DSN. Every other request goes on to the app.
  if (tunnelOptions) app.use(posternTunnel(tunnelOptions));
  app.use(express.json());
  app.get('/', (_req, res) => res.send('the app itself'));
  return app;
}
