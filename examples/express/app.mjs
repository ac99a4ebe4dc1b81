import express from 'express';
import { posternRelay } from '@postern/express';

export function createApp(relayOptions) {
  const app = express();
  app.use('/debugbundle/browser', posternRelay(relayOptions));
  app.use(express.json());
  app.get('/', (_req, res) => res.send('the app itself'));
  return app;
}
