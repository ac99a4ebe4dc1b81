import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDirectDelivery, type SpoolEvent } from '@postern/core';
import { freePort, sampleEvent, startUpstream, type RecordingUpstream } from '@postern/conformance';
import { undiciTransport } from '@postern/node';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisSpoolDelivery, type RedisSpoolOptions } from '../src/index.js';
import { start, startRedis, type Process } from './processes.js';

const TOKEN = 'srv-token-stream-9Kq1';
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await sleep(20);
  }
}

describe('the Redis Streams spool on a real redis-server', () => {
  let redisPort: number;
  let redis: Process;
  let client: Redis;
  let upstream: RecordingUpstream;
  let prefixes = 0;

  beforeAll(async () => {
    redisPort = await freePort();
    redis = await startRedis(redisPort);
    client = new Redis({
      port: redisPort,
      host: '127.0.0.1',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
    });
    await client.connect();
    upstream = await startUpstream();
  });
  afterAll(async () => {
    client.disconnect();
    await redis.stop();
    await upstream.close();
  });

  /** A spool on its own prefix; several made with one `prefix` share it, as a fleet does. */
  function spool(overrides: Partial<RedisSpoolOptions> = {}, events: SpoolEvent[] = []) {
    const forward = createDirectDelivery({
      endpoint: `${upstream.url}/v1/events`,
      projectToken: TOKEN,
      timeoutMs: 2000,
      transport: undiciTransport(),
      userAgent: 'postern-test',
    });
    return createRedisSpoolDelivery({
      client,
      forward,
      upstreamTimeoutMs: 2000,
      prefix: `test${++prefixes}:`,
      retryBaseMs: 50,
      retryMaxMs: 200,
      pollIntervalMs: 100,
      onSpoolEvent: (event) => events.push(event),
      ...overrides,
    });
  }

  const batch = (id: string) => [{ ...sampleEvent('frontend_breadcrumb'), event_id: id }];
  const arrivedIds = (from: number) =>
    upstream.received
      .slice(from)
      .flatMap((request) => (JSON.parse(request.body) as { events: { event_id: string }[] }).events)
      .map((event) => event.event_id);

  it('answers only once XADD is done, forwards with the server token, then acknowledges and removes the entry', async () => {
    const from = upstream.received.length;
    const events: SpoolEvent[] = [];
    const delivery = spool({}, events);
    expect(await delivery.deliver(batch('a1'))).toEqual({ ok: true });
    await upstream.waitFor(from, 1, 5000);
    const sent = JSON.parse(upstream.received[from]?.body ?? '{}');
    expect(sent.events[0].project_token).toBe(TOKEN);
    expect(upstream.received[from]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    await until(async () => (await delivery.stats()).undeliveredBytes === 0);
    const stats = await delivery.stats();
    expect(stats).toMatchObject({ pending: 0, inflight: 0, quarantined: 0, bytes: 0 });
    expect(Number(await client.call('XLEN', delivery.keys.stream))).toBe(0);
    expect(events.map((event) => event.type)).toEqual(['stored', 'attempt', 'delivered']);
    await delivery.close();
  });

  it('keeps a batch through upstream failures and delivers it once the upstream recovers', async () => {
    const from = upstream.received.length;
    upstream.setReply({ status: 503 });
    const delivery = spool();
    expect(await delivery.deliver(batch('b1'))).toEqual({ ok: true });
    await upstream.waitFor(from, 3, 5000);
    upstream.setReply(undefined);
    await until(() => upstream.received.slice(from).some((request) => request.answered === 202));
    expect(new Set(arrivedIds(from))).toEqual(new Set(['b1']));
    await until(async () => (await delivery.stats()).undeliveredBytes === 0);
    await delivery.close();
  });

  it("shares the upstream's Retry-After across the fleet: no relay sends before it has passed", async () => {
    const prefix = `fleet${++prefixes}:`;
    const a = spool({ prefix, consumer: 'a' });
    const b = spool({ prefix, consumer: 'b' });
    await Promise.all([a.ready(), b.ready()]);
    const from = upstream.received.length;
    upstream.answerNext({ status: 429, headers: { 'retry-after': '2' } });
    expect(await a.deliver(batch('c1'))).toEqual({ ok: true });
    await upstream.waitFor(from, 1, 5000);
    const refusedAt = upstream.received[from]?.receivedAt as number;
    // Relay a has the answer once the fleet's pause is set; what b stores from then on waits for it too.
    await until(async () => Number(await client.call('PTTL', `${prefix}pause`)) > 0);
    // Relay b stores its own batch during the pause: it must wait too, though it never saw the 429.
    expect(await b.deliver(batch('c2'))).toEqual({ ok: true });
    await upstream.waitFor(from, 3, 6000);
    const later = upstream.received.slice(from + 1);
    for (const request of later)
      expect(request.receivedAt - refusedAt).toBeGreaterThanOrEqual(1900);
    expect(new Set(arrivedIds(from + 1))).toEqual(new Set(['c1', 'c2']));
    await Promise.all([a.close(), b.close()]);
  });

  it('quarantines a batch the upstream refuses for good and never sends it again', async () => {
    const from = upstream.received.length;
    upstream.answerNext({ status: 400 });
    const events: SpoolEvent[] = [];
    const delivery = spool({}, events);
    expect(await delivery.deliver(batch('d1'))).toEqual({ ok: true });
    await until(async () => (await delivery.stats()).quarantined === 1);
    await sleep(400);
    expect(upstream.received.length - from).toBe(1);
    const [[, fields]] = (await client.call('XRANGE', delivery.keys.quarantine, '-', '+')) as [
      [string, string[]],
    ];
    expect(fields).toEqual(
      expect.arrayContaining(['reason', 'The upstream answered 400.', 'status', '400']),
    );
    expect(events.find((event) => event.type === 'quarantined')).toMatchObject({ status: 400 });
    expect((await delivery.stats()).undeliveredBytes).toBe(0);
    await delivery.close();
  });

  it('takes over an entry a dead relay held once its lease has passed', async () => {
    const prefix = `lease${++prefixes}:`;
    const dead = spool({
      prefix,
      consumer: 'dead',
      forward: { deliver: () => new Promise(() => undefined) } as never,
    });
    await dead.ready();
    // The dead relay read the entry and never answered for it: it sits in its pending list.
    expect(await dead.deliver(batch('e1'))).toEqual({ ok: true });
    await until(async () => (await dead.stats()).inflight === 1);
    const from = upstream.received.length;
    const alive = spool({ prefix, consumer: 'alive', leaseMs: 600 });
    await alive.ready();
    const started = Date.now();
    await upstream.waitFor(from, 1, 5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(arrivedIds(from)).toEqual(['e1']);
    await until(async () => (await alive.stats()).undeliveredBytes === 0);
    expect((await alive.stats()).consumers.find((one) => one.name === 'dead')?.pending).toBe(0);
  });

  it('refuses with spool_full past maxBytes, evicting quarantined entries first', async () => {
    upstream.setReply({ status: 400 });
    const delivery = spool();
    expect(await delivery.deliver(batch('f1'))).toEqual({ ok: true });
    await until(async () => (await delivery.stats()).quarantined === 1);
    const size = (await delivery.stats()).bytes;
    upstream.setReply({ status: 503 });
    // Room for one batch and a half: the quarantined entry is evicted for the next, and a third does not fit.
    const events: SpoolEvent[] = [];
    const full = spool({ maxBytes: Math.floor(size * 1.5), prefix: `test${prefixes}:` }, events);
    expect(await full.deliver(batch('f2'))).toEqual({ ok: true });
    const third = await full.deliver(batch('f3'));
    expect(third).toMatchObject({ ok: false, code: 'spool_full' });
    upstream.setReply(undefined);
    expect((await full.stats()).quarantined).toBe(0);
    expect(events.some((event) => event.type === 'evicted')).toBe(true);
    await Promise.all([delivery.close(), full.close()]);
  });

  it('refuses with spool_unavailable at once while Redis cannot be reached', async () => {
    const away = new Redis({
      port: await freePort(),
      host: '127.0.0.1',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    const delivery = spool({ client: away });
    const started = Date.now();
    expect(await delivery.deliver(batch('g1'))).toMatchObject({
      ok: false,
      code: 'spool_unavailable',
    });
    expect(Date.now() - started).toBeLessThan(1000);
    await delivery.close();
    away.disconnect();
  });

  it('prunes undelivered and quarantined entries past retention, releasing their bytes', async () => {
    upstream.setReply({ status: 503 });
    const delivery = spool({ retryBaseMs: 60_000, retryMaxMs: 60_000 });
    expect(await delivery.deliver(batch('h1'))).toEqual({ ok: true });
    await sleep(50);
    const kept = await delivery.prune({ undeliveredMaxAgeMs: 3_600_000 });
    expect(kept.undelivered).toBe(0);
    const pruned = await delivery.prune({ undeliveredMaxAgeMs: 1 }, Date.now() + 10);
    expect(pruned.undelivered).toBe(1);
    expect(pruned.bytes).toBeGreaterThan(0);
    expect((await delivery.stats()).undeliveredBytes).toBe(0);
    upstream.setReply(undefined);
    await delivery.close();
  });

  it('counts a failed round once for the fleet, however many requests were in flight', async () => {
    const prefix = `round${++prefixes}:`;
    upstream.setReply({ status: 503, delayMs: 150 });
    const a = spool({ prefix, consumer: 'a', retryBaseMs: 2000, retryMaxMs: 4000 });
    const b = spool({ prefix, consumer: 'b', retryBaseMs: 2000, retryMaxMs: 4000 });
    const from = upstream.received.length;
    // Eight batches in flight at once on two relays, all refused together.
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).deliver(batch(`round-${i}`))),
    );
    await upstream.waitFor(from, 8, 5000);
    await sleep(300);
    expect(Number(await client.call('GET', `${prefix}failures`))).toBe(1);
    // One failure: the pause is the first backoff step (1000-2000 ms), not the cap.
    const pause = Number(await client.call('PTTL', `${prefix}pause`));
    expect(pause).toBeGreaterThan(0);
    expect(pause).toBeLessThanOrEqual(2000);
    upstream.setReply(undefined);
    await Promise.all([a.close(), b.close()]);
  });

  it('hands the probe back when its holder has nothing to send, so the relay that has waits no lease', async () => {
    const prefix = `probe${++prefixes}:`;
    // After a failed round (count 1, pause over): only the probe's holder may send.
    await client.call('SET', `${prefix}failures`, '1');
    const idle = spool({ prefix, consumer: 'idle', leaseMs: 10_000, pollIntervalMs: 50 });
    await idle.ready();
    await sleep(200);
    const from = upstream.received.length;
    const busy = spool({ prefix, consumer: 'busy', leaseMs: 10_000 });
    const started = Date.now();
    expect(await busy.deliver(batch('probe-1'))).toEqual({ ok: true });
    await upstream.waitFor(from, 1, 5000);
    expect(upstream.received.length - from).toBe(1);
    expect(Date.now() - started).toBeLessThan(3000);
    await Promise.all([idle.close(), busy.close()]);
  });

  it('quarantines an entry it cannot read (no batch field) instead of skipping it forever', async () => {
    const delivery = spool();
    await delivery.ensureGroup();
    await client.call('XADD', delivery.keys.stream, '*', 'something', 'else');
    await delivery.ready();
    await until(async () => (await delivery.stats()).quarantined === 1);
    const [[, fields]] = (await client.call('XRANGE', delivery.keys.quarantine, '-', '+')) as [
      [string, string[]],
    ];
    expect(fields).toEqual(expect.arrayContaining(['reason']));
    expect(fields[fields.indexOf('reason') + 1]).toMatch(/^unreadable entry/);
    await delivery.close();
  });

  it('renews its hold while a send outlasts the lease: no other relay sends the entry at the same time', async () => {
    const prefix = `renew${++prefixes}:`;
    upstream.setReply({ status: 202, delayMs: 1500 });
    const from = upstream.received.length;
    // The holder does not look for takeovers itself (which would renew its own entries too).
    const slow = spool({ prefix, consumer: 'slow', leaseMs: 600, pollIntervalMs: 60_000 });
    expect(await slow.deliver(batch('renew-1'))).toEqual({ ok: true });
    await upstream.waitFor(from, 1, 5000);
    const other = spool({ prefix, consumer: 'other', leaseMs: 600, pollIntervalMs: 100 });
    await other.ready();
    await until(async () => (await slow.stats()).undeliveredBytes === 0, 5000);
    await sleep(300);
    expect(upstream.received.length - from).toBe(1);
    upstream.setReply(undefined);
    await Promise.all([slow.close(), other.close()]);
  });

  it('README: two instances of the mounted relay share the spool; what one stored, the other delivers once it is killed', async () => {
    const instances: Process[] = [];
    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      const instance = start(
        process.execPath,
        [join(root, 'packages/redis/test/spool-relay.mjs')],
        {
          PORT: String(port),
          REDIS_URL: `redis://127.0.0.1:${redisPort}`,
          DEBUGBUNDLE_ENDPOINT: `${upstream.url}/v1/events`,
          DEBUGBUNDLE_PROJECT_TOKEN: TOKEN,
          UPSTREAM_TIMEOUT_MS: '500',
        },
      );
      instances.push(instance);
      await instance.waitFor('postern: relay listening');
    }
    const from = upstream.received.length;
    const id = randomUUID();
    upstream.setReply({ status: 503 });
    const answer = await fetch(`http://127.0.0.1:${ports[0]}/debugbundle/browser`, {
      method: 'POST',
      headers: { origin: 'https://app.example.com', 'content-type': 'application/json' },
      body: JSON.stringify({ batch: batch(id) }),
    });
    expect(answer.status).toBe(202);
    await upstream.waitFor(from, 1, 5000);
    // The instance that stored it dies holding it; the upstream recovers; the other takes it over after the lease.
    await instances[0]?.stop();
    upstream.setReply(undefined);
    await until(
      () => upstream.received.slice(from).some((request) => request.answered === 202),
      15_000,
    );
    expect(new Set(arrivedIds(from))).toEqual(new Set([id]));
    const delivered = upstream.received.slice(from).find((request) => request.answered === 202);
    expect(delivered?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    await instances[1]?.stop();
  }, 30_000);
});
