import Fastify from 'fastify';
import { posternRelay } from '@postern/fastify';

export async function createApp(relayOptions) {
  const app = Fastify();
  await app.register(posternRelay, relayOptions);
  app.get('/', async () => 'the app itself');
  return app;
}
