import { listen, relayOptionsFromEnv } from '../options.mjs';
import { createApp } from './app.mjs';

createApp(relayOptionsFromEnv()).listen(listen.port, listen.host, () => {
  console.log(`Express relay on http://${listen.host}:${listen.port}/debugbundle/browser`);
});
