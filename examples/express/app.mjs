import express from 'express';
import { posternRelay, posternTunnel } from '@postern/express';

export function createApp({ relayOptions, tunnelOptions }) {
  const app = express();
  if (relayOptions) app.use('/debugbundle/browser', posternRelay(relayOptions));
  if (tunnelOptions) app.use('/postern/tunnel', posternTunnel(tunnelOptions));
  app.use(express.json());
  app.get('/', (_req, res) => res.send('the app itself'));
  return app;
}
