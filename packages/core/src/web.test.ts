import { describe, expect, it } from 'vitest';
import type { Engine } from './engine.js';
import type { RelayRequest } from './request.js';
import {
  answerWebRequest,
  cloudflareClientAddress,
  createWebHandler,
  vercelClientAddress,
} from './web.js';

/** An engine that records what it was asked and answers 202 with a header. */
function recordingEngine(seen: RelayRequest[], readBody = true, path = '/r'): Engine {
  const answer = (request: RelayRequest) => {
    seen.push(request);
    if (readBody) void request.body;
    return {
      status: 202,
      headers: { 'x-answer': 'yes', 'content-type': 'application/json' },
      body: '{"ok":true}',
    };
  };
  return {
    path,
    paths: [path],
    matches: (target) => target === path,
    answer,
    handle: async (request) => answer(request),
    async close() {},
  };
}

describe('the Web handler', () => {
  it('hands the engine the method, headers, path and body, and the address the platform vouches for', async () => {
    const seen: RelayRequest[] = [];
    const handler = createWebHandler<{ peer: string }>(recordingEngine(seen), {
      clientAddress: (_request, platform) => platform?.peer,
    });
    const response = await handler(
      new Request('http://relay.example/r?x=1', {
        method: 'POST',
        headers: { origin: 'https://app.example' },
        body: '{}',
      }),
      { peer: '198.51.100.4' },
    );
    expect(response.status).toBe(202);
    expect(response.headers.get('x-answer')).toBe('yes');
    expect(await response.json()).toEqual({ ok: true });
    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.path).toBe('/r');
    expect(seen[0]?.header('origin')).toBe('https://app.example');
    expect(seen[0]?.header('cookie')).toBeUndefined();
    expect(seen[0]?.clientAddress).toBe('198.51.100.4');
  });

  it('routes each request to the engine whose path it is on, and answers 404 not_found elsewhere', async () => {
    const relaySeen: RelayRequest[] = [];
    const tunnelSeen: RelayRequest[] = [];
    const handler = createWebHandler(
      [recordingEngine(relaySeen), recordingEngine(tunnelSeen, true, '/t')],
      { clientAddress: () => '198.51.100.4' },
    );
    expect(
      (await handler(new Request('http://relay.example/t', { method: 'POST', body: 'x' }))).status,
    ).toBe(202);
    expect(
      (await handler(new Request('http://relay.example/r?q=1', { method: 'POST', body: 'x' })))
        .status,
    ).toBe(202);
    expect([relaySeen.map((r) => r.path), tunnelSeen.map((r) => r.path)]).toEqual([['/r'], ['/t']]);
    const elsewhere = await handler(
      new Request('http://relay.example/other', { method: 'POST', body: 'x' }),
    );
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toMatchObject({ error: 'not_found' });
  });

  it('refuses to be built without a way to learn the client address', () => {
    expect(() => createWebHandler(recordingEngine([]), {} as never)).toThrow(
      /clientAddress is required/,
    );
  });

  it('asks for the framework body only when the engine reads it', async () => {
    let asked = 0;
    const bodyOf = () => {
      asked++;
      return null;
    };
    await answerWebRequest(
      recordingEngine([], false),
      new Request('http://relay.example/r', { method: 'POST', body: 'x' }),
      undefined,
      { body: bodyOf },
    );
    expect(asked).toBe(0);
    await answerWebRequest(
      recordingEngine([], true),
      new Request('http://relay.example/r', { method: 'POST', body: 'x' }),
      undefined,
      { body: bodyOf },
    );
    expect(asked).toBe(1);
  });

  it('takes the path the framework already parsed instead of parsing the URL again', async () => {
    const seen: RelayRequest[] = [];
    await answerWebRequest(
      recordingEngine(seen),
      new Request('http://relay.example/r?x=1', { method: 'POST', body: 'x' }),
      undefined,
      { path: '/as-routed' },
    );
    expect(seen[0]?.path).toBe('/as-routed');
  });

  it('reads the platform headers each helper names, and nothing else', () => {
    const request = new Request('http://relay.example/', {
      headers: {
        'cf-connecting-ip': '203.0.113.7',
        'x-real-ip': '203.0.113.8',
        'x-forwarded-for': '192.0.2.1',
      },
    });
    expect(cloudflareClientAddress(request, undefined)).toBe('203.0.113.7');
    expect(vercelClientAddress(request, undefined)).toBe('203.0.113.8');
    const bare = new Request('http://relay.example/', {
      headers: { 'x-forwarded-for': '192.0.2.1' },
    });
    expect(cloudflareClientAddress(bare, undefined)).toBeUndefined();
    expect(vercelClientAddress(bare, undefined)).toBeUndefined();
  });
});
