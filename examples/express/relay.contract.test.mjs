import { contractConfig, contractMatchers, runContract, startUpstream } from '@postern/conformance';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from './app.mjs';

expect.extend(contractMatchers);

let upstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

it('the relay our app mounts passes the Relay Contract', async () => {
  const config = await contractConfig({ upstream });
  const app = createApp({ relayOptions: config.options });
  expect(await runContract(app, config)).toPassContract();
});

it('so does its Sentry tunnel', async () => {
  const config = await contractConfig({ upstream, protocol: 'sentry-tunnel' });
  const app = createApp({ tunnelOptions: config.options });
  expect(await runContract(app, config)).toPassContract();
});
