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
