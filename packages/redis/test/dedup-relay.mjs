import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { posternRelay } from '@postern/node';
import { createRedisDedupStore } from '@postern/redis';

// Fail fast while Redis is away: the relay then forwards without the check instead of waiting on Redis.
const client = new Redis(process.env.REDIS_URL, {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
});
client.on('ready', () => console.log('postern: dedup store connected'));
client.on('error', (error) => console.warn('postern: redis', error.message));

const relay = posternRelay({
  projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN,
  allowedOrigins: ['https://app.example.com'],
  endpoint: process.env.DEBUGBUNDLE_ENDPOINT,
  dedupStore: createRedisDedupStore({ client, prefix: 'postern:dedup:' }),
  logger: console,
});
createServer(relay).listen(Number(process.env.PORT ?? 3000), () =>
  console.log('postern: relay listening'),
);
