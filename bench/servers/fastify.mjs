import Fastify from 'fastify';
import { posternRelay } from '@postern/fastify';
import { forwardBare, listening, path, port, relayOptions, variant } from './common.mjs';

const app = Fastify();
if (variant.startsWith('bare')) {
  app.post(path, async (request, reply) =>
    reply.code((await forwardBare(request.body)) < 300 ? 202 : 502).send({}),
  );
} else {
  await app.register(posternRelay, relayOptions);
}
await app.listen({ port, host: '127.0.0.1' });
listening();
