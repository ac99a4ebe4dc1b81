import { describe, expect, it } from 'vitest';
import { compileGate, type GateOptions } from './gate.js';
import { createMemoryStore } from './rate-limit/memory-store.js';
import type { RateLimitStore } from './rate-limit/store.js';
import { createBrowserRelay } from './browser/relay.js';
import type { RelayRequest, RelayResponse } from './request.js';
import { createTunnel } from './tunnel/tunnel.js';

function post(
  headers: Record<string, string | undefined>,
  clientAddress = '203.0.113.9',
  method = 'POST',
): RelayRequest {
  return { method, header: (name) => headers[name], clientAddress, body: null };
}

function gate(options: Partial<GateOptions> = {}) {
  return compileGate({
    allowedOrigins: ['https://app.example'],
    rateLimit: { limit: 100, windowMs: 60_000 },
    rateLimitScope: 'relay:/debugbundle/browser',
    exposedHeaders: 'RateLimit-Limit',
    allowedRequestHeaders: 'content-type',
    allowCredentials: true,
    ...options,
  });
}

function refusal(result: Awaited<ReturnType<ReturnType<typeof compileGate>>>): RelayResponse {
  if (result.admitted) throw new Error('expected a refusal');
  return result.response;
}

describe('compileGate: the Origin header must be an origin', () => {
  // Each of these names an allowlisted origin to a lenient URL parser (new URL(value).origin is
  // https://app.example), but none is what a browser sends as Origin.
  it.each([
    ['a path', 'https://app.example/path'],
    ['a trailing slash', 'https://app.example/'],
    ['userinfo', 'https://user@app.example'],
    ['userinfo naming another host', 'https://evil.example:pw@app.example'],
    ['a query', 'https://app.example?x=1'],
    ['a fragment', 'https://app.example#x'],
    ['a backslash', 'https://app.example\\@evil.example'],
    ['two Origin headers joined by the runtime', 'https://app.example, https://evil.example'],
    ['the same origin twice', 'https://app.example, https://app.example'],
  ])('refuses %s (%j) with 403 origin_not_allowed, granting nothing', async (_trick, value) => {
    for (const method of ['POST', 'OPTIONS']) {
      const response = refusal(await gate()(post({ origin: value }, '203.0.113.9', method)));
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body ?? '{}').error).toBe('origin_not_allowed');
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
      expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    }
  });

  it('refuses the same tricks under the same-origin default (no allowedOrigins)', async () => {
    const sameOrigin = gate({ allowedOrigins: undefined });
    expect(
      (await sameOrigin(post({ host: 'relay.example', origin: 'https://relay.example' }))).admitted,
    ).toBe(true);
    for (const value of [
      'https://relay.example/x',
      'https://u@relay.example',
      'https://relay.example?',
      'https://relay.example\\',
      'https://relay.example, https://relay.example',
    ]) {
      expect(refusal(await sameOrigin(post({ host: 'relay.example', origin: value }))).status).toBe(
        403,
      );
    }
  });

  it('echoes the serialised origin, never the raw header', async () => {
    const result = await gate()(post({ origin: 'HTTPS://APP.EXAMPLE:443' }));
    if (!result.admitted) throw new Error('expected the request to be admitted');
    expect(result.value.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(result.value.origin).toBe('https://app.example');
    const preflight = refusal(
      await gate()(post({ origin: ' https://app.example ' }, '203.0.113.9', 'OPTIONS')),
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example');
  });

  it('still derives the origin of a Referer that carries a path, query and fragment, and grants no CORS for it', async () => {
    const result = await gate()(post({ referer: 'https://app.example/checkout?step=2#pay' }));
    if (!result.admitted) throw new Error('expected the request to be admitted');
    expect(result.value.origin).toBe('https://app.example');
    expect(result.value.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('compileGate: rate-limit keys are scoped per engine and route', () => {
  it('prefixes the client key with the scope', async () => {
    const keys: string[] = [];
    const store: RateLimitStore = {
      hit(key) {
        keys.push(key);
        return { allowed: true, remaining: 1, resetMs: 1000 };
      },
    };
    await gate({ rateLimitStore: store })(post({ origin: 'https://app.example' }));
    await gate({ rateLimitStore: store, rateLimitScope: 'tunnel:/postern/tunnel' })(
      post({ origin: 'https://app.example' }, '2001:db8:1:2::9'),
    );
    expect(keys).toEqual([
      'relay:/debugbundle/browser:203.0.113.9',
      'tunnel:/postern/tunnel:2001:db8:1:2::/64',
    ]);
  });

  it('one memory store shared by a relay and a tunnel: each keeps its own limit', async () => {
    const store = createMemoryStore();
    const origin = 'https://app.example';
    const relay = createBrowserRelay({
      projectToken: 't',
      allowedOrigins: [origin],
      rateLimit: { limit: 2, windowMs: 60_000 },
      rateLimitStore: store,
      fetch: () => Promise.resolve(new Response(null, { status: 202 })),
    });
    const tunnel = createTunnel({
      dsns: ['https://k1@sentry.example/42'],
      allowedOrigins: [origin],
      rateLimit: { limit: 3, windowMs: 60_000 },
      rateLimitStore: store,
      fetch: () => Promise.resolve(new Response('{}', { status: 200 })),
    });
    // A body the relay refuses after the gate (400) is enough: the gate has counted the request by then.
    const send = async (engine: typeof relay): Promise<number> =>
      (await engine.handle({ ...post({ origin, 'content-type': 'application/json' }), body: '{}' }))
        .status;
    const relayStatuses = [await send(relay), await send(relay)];
    // The relay's two requests do not count against the tunnel's three, nor the other way round.
    const tunnelStatuses = [
      await send(tunnel),
      await send(tunnel),
      await send(tunnel),
      await send(tunnel),
    ];
    expect(relayStatuses.every((status) => status !== 429)).toBe(true);
    expect(tunnelStatuses.map((status) => status === 429)).toEqual([false, false, false, true]);
    expect(await send(relay)).toBe(429);
  });

  it('two relays on different routes sharing a store keep their own counts', async () => {
    const store = createMemoryStore();
    const origin = 'https://app.example';
    const options = {
      projectToken: 't',
      allowedOrigins: [origin],
      rateLimit: { limit: 1, windowMs: 60_000 },
      rateLimitStore: store,
      fetch: () => Promise.resolve(new Response(null, { status: 202 })),
    };
    const a = createBrowserRelay({ ...options, path: '/a' });
    const b = createBrowserRelay({ ...options, path: '/b' });
    const send = async (engine: typeof a): Promise<number> =>
      (await engine.handle({ ...post({ origin, 'content-type': 'application/json' }), body: '{}' }))
        .status;
    expect(await send(a)).not.toBe(429);
    expect(await send(b)).not.toBe(429);
    expect(await send(a)).toBe(429);
  });
});

describe('compileGate: X-Forwarded-For entries with ports', () => {
  it('counts each client behind a trusted proxy that writes address:port, not the proxy', async () => {
    const limited = gate({
      trustProxy: 'loopback',
      rateLimit: { limit: 1, windowMs: 60_000 },
      rateLimitStore: createMemoryStore(),
    });
    const from = (xff: string) =>
      limited(post({ origin: 'https://app.example', 'x-forwarded-for': xff }, '127.0.0.1'));
    expect((await from('203.0.113.7:5000')).admitted).toBe(true);
    expect((await from('203.0.113.8:5001')).admitted).toBe(true);
    expect((await from('[2001:db8::1]:443')).admitted).toBe(true);
    // The same client on another source port is the same client.
    expect(refusal(await from('203.0.113.7:6000')).status).toBe(429);
    expect(refusal(await from('[2001:db8::2]:8443')).status).toBe(429);
  });
});
