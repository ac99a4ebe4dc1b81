import { listen, optionsFromEnv, withBothRoutes } from '../options.mjs';
import { createHandler } from './app.mjs';

Deno.serve(
  {
    port: listen.port,
    hostname: listen.host,
    onListen: () =>
      console.log(
        `Deno relay on http://${listen.host}:${listen.port} (/debugbundle/browser, /postern/tunnel)`,
      ),
  },
  createHandler(withBothRoutes(optionsFromEnv())),
);
