// What every benchmark server shares: where to listen and forward, the relay options, and the bare
// route's work (parse the JSON, forward it with fetch), so relay and bare differ only in Postern.
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
};

/** The bare route: what an app would write without a relay library, minus every check. */
export async function forwardBare(parsed) {
  const response = await fetch(upstream, {
    method: 'POST',
    headers: { authorization: 'Bearer bench-token', 'content-type': 'application/json' },
    body: JSON.stringify({ events: parsed.batch }),
  });
  await response.body?.cancel();
  return response.status;
}

export function listening() {
  console.log('listening');
}
