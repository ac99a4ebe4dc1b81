import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RecordingUpstream, sampleEvent, startUpstream } from '@postern/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { clean } from '../src/commands/clean.js';
import { type Check, doctor } from '../src/commands/doctor.js';
import { replay } from '../src/commands/replay.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import type { Output } from '../src/output.js';
import { createRelayServer } from '../src/server.js';
import { type Program, startRedis } from './fleet-helpers.js';
import { freePort, ORIGIN, sleep, TOKEN } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function redis(): Promise<{ port: number; program: Program; url: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'postern-redis-spool-'));
  const port = await freePort();
  const program = await startRedis(port, dir);
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  cleanups.push(() => program.kill());
  return { port, program, url: `redis://127.0.0.1:${port}` };
}

async function upstream(): Promise<RecordingUpstream> {
  const started = await startUpstream();
  cleanups.push(() => started.close());
  return started;
}

function settings(redisUrl: string, endpoint: string): Record<string, unknown> {
  return {
    projectToken: TOKEN,
    endpoint,
    allowedOrigins: [ORIGIN],
    durableWrite: true,
    spoolRedis: redisUrl,
    spoolRedisPrefix: 'cli-test:',
    retryBaseMs: 50,
    retryMaxMs: 200,
    upstreamTimeoutMs: 1000,
    port: 0,
    adminPort: 0,
    logLevel: 'silent',
  };
}

function capture(): { out: Output; result: () => unknown; errors: string[] } {
  let result: unknown;
  const errors: string[] = [];
  return {
    out: {
      json: true,
      line: () => undefined,
      error: (text) => void errors.push(text),
      result: (value) => {
        result = value;
      },
    },
    result: () => result,
    errors,
  };
}

async function post(base: string): Promise<Response> {
  return fetch(`${base}/debugbundle/browser`, {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/json' },
    body: JSON.stringify({ batch: [sampleEvent('frontend_breadcrumb')] }),
  });
}

describe('postern serve with spoolRedis', () => {
  it('refuses spoolRedis without durableWrite, a URL that is not redis://, and a prefix without spoolRedis', async () => {
    const problems = async (text: Record<string, unknown>): Promise<string[]> => {
      try {
        await loadConfig({ env: {}, text: JSON.stringify({ projectToken: TOKEN, ...text }) });
        return [];
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
    };
    expect(await problems({ spoolRedis: 'redis://127.0.0.1:6379' })).toEqual([
      'spoolRedis: is set but durableWrite is not true, so nothing is spooled. Fix: set durableWrite: true, or remove spoolRedis.',
    ]);
    expect(await problems({ durableWrite: true, spoolRedis: 'http://127.0.0.1:6379' })).toEqual([
      'configuration text: spoolRedis: must be a redis:// or rediss:// URL, got "http://127.0.0.1:6379". Fix: set spoolRedis: redis://127.0.0.1:6379.',
    ]);
    expect(await problems({ spoolRedisPrefix: 'a:' })).toEqual([
      'spoolRedisPrefix: is set but spoolRedis is not. Fix: set spoolRedis: redis://127.0.0.1:6379, or remove spoolRedisPrefix.',
    ]);
    const env = await loadConfig({
      env: { POSTERN_SPOOL_REDIS: 'rediss://cache.internal:6380', POSTERN_DURABLE_WRITE: 'true' },
      text: JSON.stringify({ projectToken: TOKEN }),
    });
    expect(env.spoolRedis).toEqual({
      url: 'rediss://cache.internal:6380',
      prefix: 'postern:spool:',
    });
  });

  it('stores in Redis, forwards, reports readiness and the fleet in /metrics, and is unready while Redis is away', async () => {
    const store = await redis();
    const sink = await upstream();
    sink.setReply({ status: 503 });
    const config = await loadConfig({
      env: {},
      text: JSON.stringify(settings(store.url, `${sink.url}/v1/events`)),
    });
    const server = await createRelayServer(config, createLogger('silent'));
    const { port } = await server.listen();
    cleanups.push(() => server.close());
    const base = `http://127.0.0.1:${port}`;
    const admin = `http://127.0.0.1:${server.adminAddress()?.port}`;

    expect((await post(base)).status).toBe(202);
    await sink.waitFor(0, 1, 5000);
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    expect(metrics).toMatch(/postern_spool_consumer_pending\{consumer="[^"]+"\} 1/);
    expect(metrics).toMatch(/postern_spool_entries\{state="inflight"\} 1/);
    expect(metrics).toMatch(/postern_spool_oldest_undelivered_age_seconds \d/);
    expect(await (await fetch(`${admin}/readyz`)).json()).toMatchObject({
      ready: true,
      checks: { spool: 'ok' },
    });

    sink.setReply(undefined);
    const deadline = Date.now() + 5000;
    while (!sink.received.some((request) => request.answered === 202) && Date.now() < deadline)
      await sleep(20);
    expect(sink.received.some((request) => request.answered === 202)).toBe(true);

    await store.program.kill();
    await sleep(100);
    const away = await fetch(`${admin}/readyz`);
    expect(away.status).toBe(503);
    expect(await away.json()).toMatchObject({ ready: false, checks: { spool: 'unreachable' } });
    const refused = await post(base);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: 'spool_unavailable' });
  });

  it('doctor says what the Redis persistence guarantees and shows the backlog; clean prunes the stream; replay points at the fleet', async () => {
    const store = await redis();
    const sink = await upstream();
    const load = () =>
      loadConfig({ env: {}, text: JSON.stringify(settings(store.url, `${sink.url}/v1/events`)) });
    const report = capture();
    await doctor({ load }, report.out);
    const checks = (report.result() as { checks: Check[] }).checks;
    const byName = Object.fromEntries(checks.map((check) => [check.name, check]));
    expect(byName['delivery mode']?.detail).toContain('spool in Redis');
    expect(byName['spool (Redis)']).toMatchObject({ verdict: 'pass' });
    expect(byName['spool backlog']).toMatchObject({ verdict: 'pass' });
    expect(byName['spool persistence']).toMatchObject({
      verdict: 'pass',
      detail: expect.stringContaining('appendfsync always'),
    });

    await store.program.kill();
    const down = capture();
    expect(await doctor({ load }, down.out)).toBe(1);
    expect(
      (down.result() as { checks: Check[] }).checks.find((check) => check.name === 'spool (Redis)'),
    ).toMatchObject({ verdict: 'fail' });

    const nonPersistentPort = await freePort();
    const plain = await startRedis(nonPersistentPort);
    cleanups.push(() => plain.kill());
    const plainUrl = `redis://127.0.0.1:${nonPersistentPort}`;
    const plainLoad = () =>
      loadConfig({ env: {}, text: JSON.stringify(settings(plainUrl, `${sink.url}/v1/events`)) });
    const warned = capture();
    await doctor({ load: plainLoad }, warned.out);
    expect(
      (warned.result() as { checks: Check[] }).checks.find(
        (check) => check.name === 'spool persistence',
      ),
    ).toMatchObject({ verdict: 'warn', detail: expect.stringContaining('appendonly is off') });

    // Doctor and clean read and prune the stream; neither forwards what is in it (no worker starts).
    const { Redis } = await import('ioredis');
    const raw = new Redis(plainUrl);
    cleanups.push(async () => raw.disconnect());
    const entry = '{"version":1,"events":[{"event_id":"doctor-must-not-send-this"}]}';
    await raw.call('XADD', 'cli-test:stream', '*', 'batch', entry, 'bytes', entry.length);
    await doctor({ load: plainLoad }, capture().out);
    const cleaned = capture();
    expect(await clean(await plainLoad(), {}, cleaned.out)).toBe(0);
    expect(cleaned.result()).toMatchObject({
      spool: 'cli-test:stream',
      removed: { undelivered: 0, quarantined: 0 },
    });
    await sleep(300);
    expect(
      sink.received.filter((request) => request.body.includes('doctor-must-not-send-this')),
      'doctor and clean forwarded nothing from the stream',
    ).toEqual([]);
    const [held] = (await raw.call('XPENDING', 'cli-test:stream', 'postern')) as [number];
    expect(held, 'doctor and clean read nothing from the stream').toBe(0);
    const replayed = capture();
    expect(await replay(await plainLoad(), replayed.out, false)).toBe(2);
    expect(replayed.errors[0]).toContain('the spool is in Redis');
  });
});
