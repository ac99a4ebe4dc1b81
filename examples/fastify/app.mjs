// #region readme
import Fastify from 'fastify';
import { posternRelay, posternTunnel } from '@postern/fastify';
// #endregion
import { withBothRoutes } from '../options.mjs';

/**
 * The app, with the relay and the Sentry tunnel registered beside its own routes. The conformance runner
 * builds it once per profile with the options of one protocol; the other route gets placeholder options
 * that no case reaches (`withBothRoutes` in ../options.mjs).
 */
export async function createApp(options) {
  const { relayOptions, tunnelOptions } = withBothRoutes(options);
  // #region readme
  const app = Fastify();
  await app.register(posternRelay, relayOptions);
  await app.register(posternTunnel, tunnelOptions);
  // #endregion
  app.get('/', async () => 'the app itself');
  return app;
}
