// One relay instance of several sharing a Redis rate limit: started by redis-store.test.ts as its own process.
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { posternRelay } from '@postern/node';
import { createRedisStore } from '@postern/redis';

const client = new Redis({
  host: '127.0.0.1',
  port: Number(process.env.REDIS_PORT),
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  retryStrategy: () => 100,
});
client.on('ready', () => console.log('redis ready'));
// Connection errors are expected while Redis is away; the store counts the failed calls.
client.on('error', () => undefined);
const store = createRedisStore({
  client,
  whenUnavailable: process.env.WHEN_UNAVAILABLE,
  onError: () => console.log(`rate limit store failure ${store.failures}`),
});
const relay = posternRelay({
  projectToken: 'srv-token',
  allowedOrigins: ['https://app.example'],
  endpoint: process.env.ENDPOINT,
  rateLimit: { limit: 5, windowMs: 60_000 },
  rateLimitStore: store,
});
createServer(relay).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
