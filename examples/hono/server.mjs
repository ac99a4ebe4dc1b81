import { serve } from '@hono/node-server';
import { listen, optionsFromEnv } from '../options.mjs';
import { createApp } from './app.mjs';

serve(
  { fetch: createApp(optionsFromEnv()).fetch, port: listen.port, hostname: listen.host },
  () => {
    console.log(
      `Hono relay on http://${listen.host}:${listen.port} (/debugbundle/browser, /postern/tunnel)`,
    );
  },
);
