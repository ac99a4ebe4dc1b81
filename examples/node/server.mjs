import { listen, relayOptionsFromEnv } from '../options.mjs';
import { createApp } from './app.mjs';

createApp(relayOptionsFromEnv()).listen(listen.port, listen.host, () => {
  console.log(`node:http relay on http://${listen.host}:${listen.port}/debugbundle/browser`);
});
