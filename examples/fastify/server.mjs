import { listen, relayOptionsFromEnv } from '../options.mjs';
import { createApp } from './app.mjs';

const app = await createApp(relayOptionsFromEnv());
await app.listen({ port: listen.port, host: listen.host });
console.log(`Fastify relay on http://${listen.host}:${listen.port}/debugbundle/browser`);
