import { Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { posternRelay } from '@postern/hono';

export function createApp(relayOptions) {
  const app = new Hono();
  app.all('/debugbundle/browser', posternRelay({ ...relayOptions, getConnInfo }));
  app.get('/', (c) => c.text('the app itself'));
  return app;
}
