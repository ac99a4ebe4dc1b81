import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, sampleEvent, startUpstream, type RecordingUpstream } from '@postern/conformance';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../src/index.js';
import { start, startRedis, type Process } from './processes.js';

const here = dirname(fileURLToPath(import.meta.url));

async function post(port: number): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/debugbundle/browser`, {
    method: 'POST',
    headers: { origin: 'https://app.example', 'content-type': 'application/json' },
    body: JSON.stringify({ batch: [sampleEvent('frontend_breadcrumb')] }),
  });
}

describe('@postern/redis on a real redis-server', () => {
  let redisPort: number;
  let redis: Process;
  let sink: RecordingUpstream;

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    sink = await startUpstream();
  });
  afterAll(async () => {
    await redis.stop();
    await sink.close();
  });

  it('keeps an exact sliding window: refuses past the limit, frees a slot when the oldest leaves', async () => {
    const client = new Redis({ port: redisPort, host: '127.0.0.1', lazyConnect: true });
    await client.connect();
    const store = createRedisStore({ client, prefix: 'unit:' });
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await store.hit('198.51.100.7', 3, 800));
    expect(decisions.map((decision) => decision.allowed)).toEqual([true, true, true, false]);
    expect(decisions.map((decision) => decision.remaining)).toEqual([2, 1, 0, 0]);
    expect(decisions[3]?.resetMs).toBeGreaterThan(0);
    expect(decisions[3]?.resetMs).toBeLessThanOrEqual(800);
    expect((await store.hit('198.51.100.8', 3, 800)).allowed).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect((await store.hit('198.51.100.7', 3, 800)).allowed).toBe(true);
    expect(store.failures).toBe(0);
    await client.quit();
  });

  it('holds one limit across two relay processes, fails open or closed while Redis is away, and recovers', async () => {
    const relays = await Promise.all(
      ['allow', 'deny'].map(async (whenUnavailable) => {
        const port = await freePort();
        const process = start(globalThis.process.execPath, [join(here, 'relay-process.mjs')], {
          REDIS_PORT: String(redisPort),
          PORT: String(port),
          ENDPOINT: `${sink.url}/v1/events`,
          WHEN_UNAVAILABLE: whenUnavailable,
        });
        await process.waitFor('redis ready');
        return { port, process };
      }),
    );
    const [open, closed] = relays as [(typeof relays)[0], (typeof relays)[0]];
    try {
      // Ten requests from one client, alternating between the instances: the shared limit of five holds.
      const statuses: number[] = [];
      for (let i = 0; i < 10; i++)
        statuses.push((await post(i % 2 === 0 ? open.port : closed.port)).status);
      expect(statuses.filter((status) => status === 202)).toHaveLength(5);
      expect(statuses.slice(5)).toEqual([429, 429, 429, 429, 429]);

      // Redis goes away: the fail-open instance lets requests through, the fail-closed one refuses them,
      // and both count and log each failure.
      await redis.stop();
      expect((await post(open.port)).status).toBe(202);
      const refused = await post(closed.port);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(open.process.output.some((line) => line.startsWith('rate limit store failure'))).toBe(
        true,
      );
      expect(
        closed.process.output.some((line) => line.startsWith('rate limit store failure')),
      ).toBe(true);

      // Redis comes back (empty: no persistence): both reconnect and the shared limit holds again.
      redis = await startRedis(redisPort);
      await Promise.all([
        open.process.waitFor('redis ready'),
        closed.process.waitFor('redis ready'),
      ]);
      const again: number[] = [];
      for (let i = 0; i < 7; i++)
        again.push((await post(i % 2 === 0 ? closed.port : open.port)).status);
      expect(again).toEqual([202, 202, 202, 202, 202, 429, 429]);
    } finally {
      await Promise.all(relays.map((relay) => relay.process.stop()));
    }
  });
});
