// The standalone relay (`postern serve`) as the bench runs it: the CLI's own config loader and server, in
// direct delivery (the node adapter's mode, so the two compare), request logs at warn so the pipe to the
// bench does not measure pino.
import { createLogger, createRelayServer, loadConfig } from '@postern/cli';
import { listening, port, relayOptions } from './common.mjs';

const config = await loadConfig({
  text: JSON.stringify({ ...relayOptions, host: '127.0.0.1', port, logLevel: 'warn' }),
  textSource: 'bench',
  env: {},
});
await (await createRelayServer(config, createLogger(config.logLevel))).listen();
listening();
