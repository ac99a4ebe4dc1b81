import { Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { posternRelay, posternTunnel } from '@postern/hono';

export function createApp({ relayOptions, tunnelOptions }) {
  const app = new Hono();
  if (relayOptions) app.all('/debugbundle/browser', posternRelay({ ...relayOptions, getConnInfo }));
  if (tunnelOptions) app.all('/postern/tunnel', posternTunnel({ ...tunnelOptions, getConnInfo }));
  app.get('/', (c) => c.text('the app itself'));
  return app;
}
