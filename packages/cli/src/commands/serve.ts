import type { AddressInfo } from 'node:net';
import type { ServeConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createRelayServer } from '../server.js';

function adminUrl(address: AddressInfo | undefined): string {
  if (!address) return 'off (set adminPort for /readyz and /metrics)';
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port} (/healthz, /readyz, /metrics)`;
}

/**
 * Runs the relay until SIGTERM or SIGINT, then shuts down gracefully: no new connections, requests in
 * flight answered, spool writes and forwards in progress finished. A second signal exits at once.
 */
export async function serve(config: ServeConfig, early?: Promise<NodeJS.Signals>): Promise<number> {
  // Listened for before starting, so a SIGTERM that arrives while the server starts (waiting for Redis, say)
  // still shuts it down gracefully once it is up, instead of killing it.
  const signalled =
    early ??
    new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
  const logger = createLogger(config.logLevel);
  const relayServer = await createRelayServer(config, logger);
  const address = await relayServer.listen();
  logger.info(
    {
      url: `http://${address.address}:${address.port}${relayServer.relay.path}`,
      ...(relayServer.tunnel
        ? {
            tunnelUrl: `http://${address.address}:${address.port}${relayServer.tunnel.path}`,
            // The fixed path and, with managedPaths, the path Sentry.init({ tunnel: true }) posts to for each DSN.
            tunnelPaths: relayServer.tunnel.paths,
          }
        : {}),
      // Health, readiness and metrics are only on the admin listener; without adminPort there is none.
      admin: adminUrl(relayServer.adminAddress()),
      mode: relayServer.delivery.mode,
      ...(relayServer.delivery.mode === 'durable' ? { spoolDir: config.relay.spoolDir } : {}),
      ...(relayServer.delivery.mode === 'local-only'
        ? { localEventsDir: config.relay.localEventsDir }
        : {}),
      config: config.source,
    },
    'postern relay listening',
  );
  const signal = await signalled;
  logger.info({ signal }, 'shutting down: finishing requests in flight and spool writes');
  const again = (): void => process.exit(130);
  process.once('SIGTERM', again);
  process.once('SIGINT', again);
  await relayServer.close();
  logger.info('stopped');
  return 0;
}
