import { listen, optionsFromEnv } from '../options.mjs';
import { createApp } from './app.mjs';

createApp(optionsFromEnv()).listen(listen.port, listen.host, () => {
  console.log(
    `Express relay on http://${listen.host}:${listen.port} (/debugbundle/browser, /postern/tunnel)`,
  );
});
