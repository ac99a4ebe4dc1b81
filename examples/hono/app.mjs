import { Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { posternRelay, posternTunnel } from '@postern/hono';

export function createApp({ relayOptions, tunnelOptions }) {
  const app = new Hono();
  if (relayOptions) app.all('/debugbundle/browser', posternRelay({ ...relayOptions, getConnInfo }));
  // As middleware the tunnel answers its own paths: /postern/tunnel, and with managedPaths the path
  // Sentry.init({ dsn, tunnel: true }) derives from each DSN. Every other request goes on to the app.
  if (tunnelOptions) app.use(posternTunnel({ ...tunnelOptions, getConnInfo }));
  app.get('/', (c) => c.text('the app itself'));
  return app;
}
