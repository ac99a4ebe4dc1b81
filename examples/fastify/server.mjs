import { listen, optionsFromEnv } from '../options.mjs';
import { createApp } from './app.mjs';

const app = await createApp(optionsFromEnv());
await app.listen({ port: listen.port, host: listen.host });
console.log(
  `Fastify relay on http://${listen.host}:${listen.port} (/debugbundle/browser, /postern/tunnel)`,
);
