import { listen, optionsFromEnv, withBothRoutes } from '../options.mjs';
import { createFetch } from './app.mjs';

Bun.serve({
  port: listen.port,
  hostname: listen.host,
  fetch: createFetch(withBothRoutes(optionsFromEnv())),
});
console.log(
  `Bun relay on http://${listen.host}:${listen.port} (/debugbundle/browser, /postern/tunnel)`,
);
