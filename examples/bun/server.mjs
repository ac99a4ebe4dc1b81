import { listen, optionsFromEnv } from '../options.mjs';
import { createFetch } from './app.mjs';

Bun.serve({ port: listen.port, hostname: listen.host, fetch: createFetch(optionsFromEnv()) });
console.log(
  `Bun relay on http://${listen.host}:${listen.port} (/debugbundle/browser, /postern/tunnel)`,
);
