// #region readme
import { Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { posternRelay, posternTunnel } from '@postern/hono';
// #endregion
import { withBothRoutes } from '../options.mjs';

/**
 * The app, with the relay and the Sentry tunnel mounted ahead of its own routes; `serve({ fetch: app.fetch })`
 * from @hono/node-server runs it. The conformance runner builds it once per profile with the options of one
 * protocol; the other route gets placeholder options that no case reaches (`withBothRoutes` in ../options.mjs).
 */
export function createApp(options) {
  const { relayOptions, tunnelOptions } = withBothRoutes(options);
  // #region readme
  const app = new Hono();
  app.all('/debugbundle/browser', posternRelay({ ...relayOptions, getConnInfo }));
  // As middleware the tunnel answers its own paths: /postern/tunnel, and with managedPaths the path
  // Sentry.init({ dsn, tunnel: true }) derives from each DSN. Every other request goes on to the app.
  app.use(posternTunnel({ ...tunnelOptions, getConnInfo }));
  // #endregion
  app.get('/', (c) => c.text('the app itself'));
  return app;
}
