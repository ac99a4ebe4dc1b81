import Fastify from 'fastify';
import { posternRelay, posternTunnel } from '@postern/fastify';

export async function createApp({ relayOptions, tunnelOptions }) {
  const app = Fastify();
  if (relayOptions) await app.register(posternRelay, relayOptions);
  if (tunnelOptions) await app.register(posternTunnel, tunnelOptions);
  app.get('/', async () => 'the app itself');
  return app;
}
