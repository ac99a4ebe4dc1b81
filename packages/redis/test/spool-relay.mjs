import { createServer } from 'node:http';
import { createDirectDelivery, VERSION } from '@postern/core';
import { posternRelay, undiciTransport } from '@postern/node';
import { createRedisDedupStore, createRedisSpoolDelivery } from '@postern/redis';
import { Redis } from 'ioredis';

// Fail fast while Redis is away: a batch that cannot be stored is refused 503 at once, and the SDK keeps it.
const client = new Redis(process.env.REDIS_URL, {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
});
client.on('error', (error) => console.warn('postern: redis', error.message));

const upstreamTimeoutMs = Number(process.env.UPSTREAM_TIMEOUT_MS ?? 10_000);
const forward = createDirectDelivery({
  endpoint: process.env.DEBUGBUNDLE_ENDPOINT ?? 'https://api.debugbundle.com/v1/events',
  projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN,
  timeoutMs: upstreamTimeoutMs,
  transport: undiciTransport(),
  userAgent: `postern/${VERSION}`,
});
// Every instance with the same prefix shares one spool: what one stored, any can forward.
const delivery = createRedisSpoolDelivery({ client, forward, upstreamTimeoutMs, logger: console });

const relay = posternRelay({
  projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN,
  allowedOrigins: ['https://app.example.com'],
  delivery,
  dedupStore: createRedisDedupStore({ client }),
  logger: console,
});
client.once('ready', async () => {
  // Start this instance's worker now: entries an instance that died left behind are taken over without waiting for traffic.
  await delivery.ready();
  createServer(relay).listen(Number(process.env.PORT ?? 3000), () =>
    console.log('postern: relay listening'),
  );
});
