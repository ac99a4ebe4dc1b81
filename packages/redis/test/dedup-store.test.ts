import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  sampleEvent,
  startUpstream,
  type SampleEvent,
  type RecordingUpstream,
} from '@postern/conformance';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisDedupStore, type RedisScriptClient } from '../src/index.js';
import { start, startRedis, type Process } from './processes.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const RELAY = 'packages/redis/test/dedup-relay.mjs';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function connect(port: number): Promise<Redis> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
  await client.connect();
  return client;
}

/** How many times Redis ran each command since the last CONFIG RESETSTAT. */
async function commandCalls(admin: Redis): Promise<Record<string, number>> {
  const calls: Record<string, number> = {};
  for (const match of (await admin.info('commandstats')).matchAll(
    /^cmdstat_([\w|]+):calls=(\d+)/gm,
  ))
    calls[match[1] as string] = Number(match[2]);
  return calls;
}

describe('createRedisDedupStore on a real redis-server', () => {
  let redisPort: number;
  let redis: Process;
  let client: Redis;

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    client = await connect(redisPort);
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
  });

  it('checks its options at construction', () => {
    const bad = (value: unknown): unknown => value;
    expect(() => createRedisDedupStore({ client: bad(undefined) as RedisScriptClient })).toThrow(
      new TypeError(
        'createRedisDedupStore: client must be a Redis client with evalsha and eval (an ioredis Redis or Cluster), got undefined undefined.',
      ),
    );
    expect(() => createRedisDedupStore({ client: bad({ get() {} }) as RedisScriptClient })).toThrow(
      /client must be a Redis client with evalsha and eval/,
    );
    expect(() => createRedisDedupStore(bad('postern:') as { client: RedisScriptClient })).toThrow(
      new TypeError(
        `createRedisDedupStore: options must be an object such as { client, prefix: 'postern:dedup:' }, got "postern:".`,
      ),
    );
    expect(() =>
      createRedisDedupStore(bad({ client, keyPrefix: 'a:' }) as { client: RedisScriptClient }),
    ).toThrow(
      new TypeError(
        'createRedisDedupStore: unknown option "keyPrefix" (the option is prefix, as in createRedisStore); the options are client and prefix.',
      ),
    );
    expect(() => createRedisDedupStore({ client, prefix: '' })).toThrow(
      new TypeError(
        'createRedisDedupStore: prefix must be a non-empty string such as "postern:dedup:", got "".',
      ),
    );
    expect(() => createRedisDedupStore({ client, prefix: bad(7) as string })).toThrow(
      /prefix must be a non-empty string/,
    );
    expect(() => createRedisDedupStore({ client })).not.toThrow();
    expect(() => createRedisDedupStore({ client, prefix: '{postern:dedup}:' })).not.toThrow();
  });

  it('answers in order, stores each id as its own key with the window as PX, and forgets it after the window', async () => {
    const store = createRedisDedupStore({ client, prefix: 'unit:' });
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    expect(await store.seen([a, b, c])).toEqual([false, false, false]);
    await store.remember([a, c], 600);
    expect(await store.seen([a, b, c, a])).toEqual([true, false, true, true]);
    expect(await client.get(`unit:${a}`)).toBe('1');
    const ttl = await client.pttl(`unit:${c}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);
    expect(await client.exists(`unit:${b}`)).toBe(0);

    // Another prefix is another relay's memory; the default prefix is postern:dedup:.
    expect(await createRedisDedupStore({ client, prefix: 'other:' }).seen([a, c])).toEqual([
      false,
      false,
    ]);
    await createRedisDedupStore({ client }).remember([b], 60_000);
    expect(await client.exists(`postern:dedup:${b}`)).toBe(1);
    expect(await store.seen([b])).toEqual([false]);

    // Remembering again restarts that id's window only.
    await sleep(350);
    await store.remember([a], 600);
    await sleep(350);
    expect(await store.seen([a, c])).toEqual([true, false]);
    await sleep(350);
    expect(await store.seen([a, c])).toEqual([false, false]);
    expect(await client.exists(`unit:${a}`, `unit:${c}`)).toBe(0);

    expect(await store.seen([])).toEqual([]);
    await store.remember([], 400);
    await expect(store.remember([a], 0)).rejects.toThrow(
      new TypeError('windowMs must be a whole number above 0, got 0.'),
    );
    await expect(store.remember([a], 1.5)).rejects.toThrow(
      /windowMs must be a whole number above 0/,
    );
  });

  it('takes one round trip per call, whatever the batch size, and loads its scripts again after SCRIPT FLUSH', async () => {
    const admin = await connect(redisPort);
    const store = createRedisDedupStore({ client, prefix: 'trips:' });
    const ids = Array.from({ length: 500 }, () => randomUUID());
    await admin.script('FLUSH');
    expect(await store.seen(ids)).toEqual(ids.map(() => false));
    await store.remember(ids, 60_000);
    await admin.config('RESETSTAT');
    expect(await store.seen(ids)).toEqual(ids.map(() => true));
    await store.remember(ids.slice(0, 250), 60_000);
    const calls = await commandCalls(admin);
    expect(calls.evalsha).toBe(2);
    expect(calls.eval).toBeUndefined();
    // Inside the scripts: one EXISTS per id, then one SET per remembered id.
    expect(calls.exists).toBe(500);
    expect(calls.set).toBe(250);
    admin.disconnect();
  });

  it('costs about 100 bytes per id in MEMORY USAGE and under 200 bytes of used_memory with its expiry', async () => {
    const store = createRedisDedupStore({ client });
    const one = randomUUID();
    await store.remember([one], 600_000);
    const usage = await client.memory('USAGE', `postern:dedup:${one}`);
    expect(usage).toBeGreaterThan(0);
    expect(usage).toBeLessThanOrEqual(128);

    const info = async (): Promise<number> =>
      Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
    const count = 100_000;
    const before = await info();
    for (let i = 0; i < count; i += 1000)
      await store.remember(
        Array.from({ length: 1000 }, () => randomUUID()),
        600_000,
      );
    const perId = ((await info()) - before) / count;
    expect(perId).toBeLessThan(200);
    console.log(
      `dedup store: MEMORY USAGE of one key ${String(usage)} bytes; used_memory per id over ${count} ids ${perId.toFixed(1)} bytes`,
    );
    await client.flushdb();
  });

  it('lets errors through, for the relay to log and fail open', async () => {
    const downPort = await freePort();
    const down = new Redis({
      port: downPort,
      host: '127.0.0.1',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
    });
    down.on('error', () => undefined);
    const store = createRedisDedupStore({ client: down });
    await expect(store.seen(['a'])).rejects.toThrow(/enableOfflineQueue/);
    await expect(store.remember(['a'], 1000)).rejects.toThrow(/enableOfflineQueue/);
    down.disconnect();
  });

  it('keeps what it remembered across a Redis restart when Redis persists (AOF)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'postern-redis-aof-'));
    const port = await freePort();
    const persistence = [
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--dir',
      dir,
    ];
    let server = await startRedis(port, persistence);
    let persisted = await connect(port);
    try {
      const [kept, gone] = [randomUUID(), randomUUID()];
      await createRedisDedupStore({ client: persisted }).remember([kept], 60_000);
      await createRedisDedupStore({ client: persisted }).remember([gone], 300);
      await server.stop();
      persisted.disconnect();
      await sleep(400);
      server = await startRedis(port, persistence);
      persisted = await connect(port);
      // The expiry is kept as a point in time: the short window ran out while Redis was down.
      expect(await createRedisDedupStore({ client: persisted }).seen([kept, gone])).toEqual([
        true,
        false,
      ]);
    } finally {
      persisted.disconnect();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('relays sharing one Redis dedup store', () => {
  let redisPort: number;
  let redis: Process;
  let sink: RecordingUpstream;
  const relays: Process[] = [];

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    sink = await startUpstream();
  });
  afterAll(async () => {
    await Promise.all(relays.map((relay) => relay.stop()));
    await redis.stop();
    await sink.close();
  });

  /** Starts the README's relay as its own process and waits until it listens and reached Redis. */
  async function startRelay(): Promise<{ port: number; process: Process }> {
    const port = await freePort();
    const process = start(globalThis.process.execPath, [join(root, RELAY)], {
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      DEBUGBUNDLE_PROJECT_TOKEN: 'srv-token',
      DEBUGBUNDLE_ENDPOINT: `${sink.url}/v1/events`,
      PORT: String(port),
    });
    relays.push(process);
    await Promise.all([
      process.waitFor('postern: relay listening'),
      process.waitFor('postern: dedup store connected'),
    ]);
    return { port, process };
  }

  async function post(
    port: number,
    batch: SampleEvent[],
  ): Promise<{ status: number; body: { accepted: number } }> {
    const response = await fetch(`http://127.0.0.1:${port}/debugbundle/browser`, {
      method: 'POST',
      headers: { origin: 'https://app.example.com', 'content-type': 'application/json' },
      body: JSON.stringify({ batch }),
    });
    return { status: response.status, body: (await response.json()) as { accepted: number } };
  }

  /** How many times the upstream received each of these events. */
  function deliveries(batch: SampleEvent[]): number[] {
    const counts = new Map<string, number>();
    for (const request of sink.received) {
      for (const event of (JSON.parse(request.body) as { events: Array<{ event_id: string }> })
        .events)
        counts.set(event.event_id, (counts.get(event.event_id) ?? 0) + 1);
    }
    return batch.map((event) => counts.get(event.event_id) ?? 0);
  }

  const newBatch = (): SampleEvent[] => [
    sampleEvent('frontend_breadcrumb'),
    sampleEvent('frontend_exception'),
    sampleEvent('frontend_breadcrumb'),
  ];

  it('is the code of the README snippet', async () => {
    const readme = await readFile(join(root, 'packages/redis/README.md'), 'utf8');
    const marker = readme.indexOf(`<!-- example: ${RELAY} -->`);
    expect(marker, `packages/redis/README.md has no snippet marked for ${RELAY}`).toBeGreaterThan(
      -1,
    );
    expect(/```js\n([\s\S]*?)```/.exec(readme.slice(marker))?.[1]).toBe(
      await readFile(join(root, RELAY), 'utf8'),
    );
  });

  it('delivers a batch sent to two relays once, and once still after both restart', async () => {
    const [a, b] = [await startRelay(), await startRelay()];
    const batch = newBatch();
    expect(await post(a.port, batch)).toEqual({
      status: 202,
      body: { accepted: 3, rejected: 0, errors: [] },
    });
    expect(deliveries(batch)).toEqual([1, 1, 1]);
    // The browser's retry lands on the other instance: accepted, not forwarded again.
    expect(await post(b.port, batch)).toEqual({
      status: 202,
      body: { accepted: 3, rejected: 0, errors: [] },
    });
    expect(deliveries(batch)).toEqual([1, 1, 1]);
    // Of a batch mixing new and delivered events, only the new one goes upstream.
    const extra = sampleEvent('frontend_breadcrumb');
    const received = sink.received.length;
    expect((await post(b.port, [batch[1] as SampleEvent, extra])).status).toBe(202);
    expect(deliveries([...batch, extra])).toEqual([1, 1, 1, 1]);
    expect(sink.received).toHaveLength(received + 1);

    // Both instances go away (killed, nothing flushed); a new one sees the batch as delivered.
    await Promise.all([a.process.stop(), b.process.stop()]);
    const c = await startRelay();
    expect(await post(c.port, batch)).toEqual({
      status: 202,
      body: { accepted: 3, rejected: 0, errors: [] },
    });
    expect(deliveries([...batch, extra])).toEqual([1, 1, 1, 1]);
    await c.process.stop();
  });

  it('forwards and answers 202 while Redis is down (fail open, logged), and deduplicates again once it is back', async () => {
    const relay = await startRelay();
    await redis.stop();
    const batch = newBatch();
    expect(await post(relay.port, batch)).toEqual({
      status: 202,
      body: { accepted: 3, rejected: 0, errors: [] },
    });
    expect(deliveries(batch)).toEqual([1, 1, 1]);
    expect(
      relay.process.output.some((line) =>
        line.includes('postern: the dedup store failed; events are forwarded without the check'),
      ),
    ).toBe(true);
    expect(
      relay.process.output.some((line) =>
        line.includes('postern: the dedup store failed to remember delivered events'),
      ),
    ).toBe(true);
    // Nothing was remembered, so a retry is forwarded again: a duplicate, never a lost event.
    expect((await post(relay.port, batch)).status).toBe(202);
    expect(deliveries(batch)).toEqual([2, 2, 2]);

    const connected = relay.process.waitFor('postern: dedup store connected');
    redis = await startRedis(redisPort);
    await connected;
    const after = newBatch();
    expect((await post(relay.port, after)).status).toBe(202);
    expect((await post(relay.port, after)).status).toBe(202);
    expect(deliveries(after)).toEqual([1, 1, 1]);
    await relay.process.stop();
  });
});
