import { serve } from '@hono/node-server';
import { listen, relayOptionsFromEnv } from '../options.mjs';
import { createApp } from './app.mjs';

serve({ fetch: createApp(relayOptionsFromEnv()).fetch, port: listen.port, hostname: listen.host }, () => {
  console.log(`Hono relay on http://${listen.host}:${listen.port}/debugbundle/browser`);
});
