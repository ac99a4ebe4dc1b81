// What every benchmark server shares: where to listen and forward, the relay options, and the bare
// route's work (parse the JSON, forward it with fetch), so relay and bare differ only in Postern.
import { request } from 'undici';

export const port = Number(process.env.PORT);
export const upstream = process.env.UPSTREAM;
export const variant = process.env.VARIANT ?? 'relay';
export const path = '/debugbundle/browser';

export const relayOptions = {
  projectToken: 'bench-token',
  allowedOrigins: ['https://app.example'],
  endpoint: upstream,
  rateLimit: { limit: variant === 'relay-429' ? 1 : 1_000_000_000, windowMs: 60_000 },
  maxBodyBytes: variant === 'relay-413' ? 100 : 262_144,
  ...(variant === 'relay-nodedup' ? { dedupWindowMs: 0 } : {}),
  // Many clients: each X-Forwarded-For is one (trusted), and every request is counted, then refused 413 unread.
  ...(variant === 'relay-clients' ? { trustProxy: true, maxBodyBytes: 100 } : {}),
};

/** The delivery of the spool variants: the file spool in SPOOL_DIR, or the Redis spool (and dedup) at REDIS_URL. */
export async function spoolOptions() {
  // Far above what a run stores, so no variant is cut short by spool_full.
  const maxBytes = 8 * 1024 ** 3;
  if (variant === 'relay-file-spool')
    return { durableWrite: true, spoolDir: process.env.SPOOL_DIR, maxSpoolBytes: maxBytes };
  if (variant !== 'relay-redis-spool') return {};
  const [{ createDirectDelivery, VERSION }, { undiciTransport }, redis, { Redis }] =
    await Promise.all([
      import('@postern/core'),
      import('@postern/node'),
      import('@postern/redis'),
      import('ioredis'),
    ]);
  const client = new Redis(process.env.REDIS_URL, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  await new Promise((resolve) => client.once('ready', resolve));
  const forward = createDirectDelivery({
    endpoint: upstream,
    projectToken: relayOptions.projectToken,
    timeoutMs: 10_000,
    transport: undiciTransport(),
    userAgent: `postern/${VERSION}`,
  });
  const delivery = redis.createRedisSpoolDelivery({
    client,
    forward,
    upstreamTimeoutMs: 10_000,
    maxBytes,
  });
  await delivery.ready();
  return { delivery, dedupStore: redis.createRedisDedupStore({ client }) };
}

const bareHeaders = { authorization: 'Bearer bench-token', 'content-type': 'application/json' };

/**
 * The bare route: what an app would write without a relay library, minus every check. VARIANT `bare`
 * forwards with `fetch` (what most apps write); `bare-undici` with undici's `request`, the client the
 * Node relays use, so that ratio is Postern's own cost and nothing else.
 */
export async function forwardBare(parsed) {
  const body = JSON.stringify({ events: parsed.batch });
  if (variant === 'bare-undici') {
    const response = await request(upstream, { method: 'POST', headers: bareHeaders, body });
    await response.body.dump();
    return response.statusCode;
  }
  const response = await fetch(upstream, { method: 'POST', headers: bareHeaders, body });
  await response.arrayBuffer();
  return response.status;
}

export function listening() {
  console.log('listening');
}
