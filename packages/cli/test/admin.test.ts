import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type RecordingUpstream,
  startUpstream,
  type UpstreamAnswer,
  type UpstreamOptions,
} from '@postern/conformance';
import { ERROR_CODES } from '@postern/core';
import type { SpoolStats } from '@postern/core/spool';
import { afterEach, describe, expect, it } from 'vitest';
import { doctor, type Check } from '../src/commands/doctor.js';
import { ConfigError, loadConfig, type LoadOptions } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { cachedSpoolStats } from '../src/metrics.js';
import type { Output } from '../src/output.js';
import { createRelayServer, type RelayServer } from '../src/server.js';
import { envelope } from '../../node/test/tunnel-helpers.js';
import { freePort, ORIGIN, TOKEN } from './helpers.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'postern-admin-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A recording upstream on loopback (`startUpstream`), closed after the test. */
async function upstream(options?: UpstreamOptions): Promise<RecordingUpstream> {
  const started = await startUpstream(options);
  cleanups.push(() => started.close());
  return started;
}

/** A server that must never be reached, and an upstream that redirects to it. */
async function redirectTrap(): Promise<{ redirecting: string; trap: RecordingUpstream }> {
  const trap = await upstream({ reply: { status: 200, body: '{}' } });
  const redirect = await upstream({
    reply: { status: 302, headers: { location: `${trap.url}/steal` }, body: '' },
  });
  return { redirecting: `${redirect.url}/v1/events`, trap };
}

interface Started {
  server: RelayServer;
  base: string;
  admin: string;
  lines: Record<string, unknown>[];
}

async function start(
  settings: Record<string, unknown>,
  options: Partial<LoadOptions> = {},
): Promise<Started> {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('info', {
    write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  const config = await loadConfig({
    env: {},
    text: JSON.stringify({ port: 0, adminPort: 0, allowedOrigins: [ORIGIN], ...settings }),
    ...options,
  });
  const server = await createRelayServer(config, logger);
  const { port } = await server.listen();
  cleanups.push(() => server.close());
  return {
    server,
    base: `http://127.0.0.1:${port}`,
    admin: `http://127.0.0.1:${server.adminAddress()?.port}`,
    lines,
  };
}

async function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadConfig({ env, text });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('the admin listener', () => {
  it('serves /readyz and /metrics apart from the public port, which answers only a constant /healthz', async () => {
    const dir = await tempDir();
    const { server, base, admin } = await start({ projectMode: 'local-only', localEventsDir: dir });
    expect(server.adminAddress()?.address).toBe('127.0.0.1');

    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('{"status":"ok"}');
    for (const path of ['/metrics', '/readyz', '/metrics?x=1', '/readyz/'])
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);

    expect(await (await fetch(`${admin}/healthz`)).text()).toBe('{"status":"ok"}');
    const ready = await fetch(`${admin}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { localEventsDir: 'ok' } });
    const metrics = await fetch(`${admin}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('postern_requests_total');
    // Only health, readiness and metrics are there: the relay route is not.
    expect((await fetch(`${admin}/debugbundle/browser`, { method: 'OPTIONS' })).status).toBe(405);
    expect((await fetch(`${admin}/debugbundle/browser`)).status).toBe(404);
  });

  it('is off unless adminPort is set; adminHost, adminPort come from the file, POSTERN_ADMIN_* and flags, and are checked', async () => {
    const dir = await tempDir();
    const { server, base } = await start({
      projectMode: 'local-only',
      localEventsDir: dir,
      adminPort: undefined,
    });
    expect(server.admin).toBeUndefined();
    expect(server.adminAddress()).toBeUndefined();
    expect((await fetch(`${base}/metrics`)).status).toBe(404);

    expect(
      (await loadConfig({ env: {}, text: 'projectMode: local-only\n' })).admin,
    ).toBeUndefined();
    expect(
      (await loadConfig({ env: {}, text: 'projectMode: local-only\nadminPort: 9464\n' })).admin,
    ).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(
      (
        await loadConfig({
          env: { POSTERN_ADMIN_PORT: '9500', POSTERN_ADMIN_HOST: '10.0.0.5' },
          text: 'projectMode: local-only\nadminPort: 9464\n',
        })
      ).admin,
    ).toEqual({ host: '10.0.0.5', port: 9500 });
    expect(
      (
        await loadConfig({
          env: { POSTERN_ADMIN_PORT: '9500' },
          text: 'projectMode: local-only\n',
          overrides: { adminPort: 9600 },
        })
      ).admin,
    ).toEqual({ host: '127.0.0.1', port: 9600 });

    expect(await problemsOf('projectMode: local-only\nadminHost: 0.0.0.0\n')).toEqual([
      expect.stringMatching(/^adminHost: is set but adminPort is not.*Fix: set adminPort: 9464/),
    ]);
    expect(await problemsOf('projectMode: local-only\nport: 4000\nadminPort: 4000\n')).toEqual([
      expect.stringMatching(/^adminPort: must differ from port \(4000\)/),
    ]);
    expect(await problemsOf('projectMode: local-only\nadminPort: 70000\n')).toEqual([
      expect.stringMatching(/adminPort: must be at most 65535/),
    ]);
  });

  it('refuses to start, naming adminPort, when the admin port is taken', async () => {
    const taken = createServer((_req, res) => res.end());
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => taken.close(resolve)));
    const { port } = taken.address() as AddressInfo;
    const config = await loadConfig({
      env: {},
      text: JSON.stringify({
        projectMode: 'local-only',
        localEventsDir: await tempDir(),
        port: 0,
        adminPort: port,
      }),
    });
    const server = await createRelayServer(config, createLogger('silent'));
    await expect(server.listen()).rejects.toThrow(
      /adminPort: cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/,
    );
    expect(server.server.listening).toBe(false);
  });
});

describe('spool gauges', () => {
  it('read the spool directory once for N concurrent scrapes of 3 000 entries', async () => {
    const dir = await tempDir();
    const spoolDir = join(dir, 'spool');
    await mkdir(join(spoolDir, '.tmp'), { recursive: true });
    const ENTRIES = 3000;
    const now = Date.now();
    const entry = JSON.stringify({ version: 1, events: [{ payload: 'x'.repeat(200) }] });
    await Promise.all(
      Array.from({ length: ENTRIES }, (_, i) =>
        writeFile(
          join(
            spoolDir,
            `${String(now - 5000 + (i % 1000)).padStart(13, '0')}-${i.toString(16).padStart(12, '0')}.delivered`,
          ),
          entry,
        ),
      ),
    );
    const closed = await freePort();
    const { server, admin } = await start({
      projectToken: TOKEN,
      endpoint: `http://127.0.0.1:${closed}/v1/events`,
      durableWrite: true,
      spoolDir,
      logLevel: 'silent',
    });
    // Every gauge read goes through spool.stats(), one directory listing (readdir and a stat per entry) per call.
    const spool = server.delivery.fileSpool?.spool;
    if (!spool) throw new Error('no spool');
    let scans = 0;
    const stats = spool.stats.bind(spool);
    spool.stats = () => {
      scans++;
      return stats();
    };

    const N = 8;
    const texts = await Promise.all(
      Array.from({ length: N }, async () => (await fetch(`${admin}/metrics`)).text()),
    );
    expect(scans, `${N} concurrent scrapes`).toBe(1);
    for (const text of texts) {
      expect(text).toContain(`postern_spool_entries{state="delivered"} ${ENTRIES}`);
      expect(text).toContain(
        `postern_spool_bytes{kind="total"} ${ENTRIES * Buffer.byteLength(entry)}`,
      );
    }
  });

  it('cache one read at a time, share it while it runs, reuse it (or its failure) for the interval, then read again', async () => {
    let clock = 0;
    const pending: Array<{ resolve: (stats: SpoolStats) => void; reject: (error: Error) => void }> =
      [];
    let reads = 0;
    const read = (): Promise<SpoolStats> => {
      reads++;
      return new Promise((resolve, reject) => pending.push({ resolve, reject }));
    };
    const stats = (pending: number): SpoolStats => ({
      pending,
      inflight: 0,
      delivered: 0,
      quarantined: 0,
      bytes: 0,
      undeliveredBytes: 0,
    });
    const cached = cachedSpoolStats(read, 1000, () => clock);

    const first = Array.from({ length: 5 }, () => cached());
    expect(reads).toBe(1);
    clock = 5000; // a slow read: still shared, not started again
    first.push(cached());
    expect(reads).toBe(1);
    pending.shift()?.resolve(stats(1));
    expect((await Promise.all(first)).map((value) => value.pending)).toEqual([1, 1, 1, 1, 1, 1]);

    clock = 5999;
    expect((await cached()).pending).toBe(1);
    expect(reads).toBe(1);
    clock = 6000;
    const failing = cached();
    expect(reads).toBe(2);
    pending.shift()?.reject(new Error('EACCES'));
    await expect(failing).rejects.toThrow('EACCES');
    await expect(cached()).rejects.toThrow('EACCES');
    expect(reads, 'a failed read is not retried by every scrape').toBe(2);
    clock = 7000;
    const again = cached();
    expect(reads).toBe(3);
    pending.shift()?.resolve(stats(2));
    expect((await again).pending).toBe(2);
  });
});

describe('/readyz', () => {
  it('answers generic states and logs the details: an unreachable upstream, an unwritable spool', async () => {
    const closed = await freePort();
    const direct = await start({
      projectToken: TOKEN,
      endpoint: `http://127.0.0.1:${closed}/v1/events`,
    });
    const unready = await fetch(`${direct.admin}/readyz`);
    expect(unready.status).toBe(503);
    const text = await unready.text();
    expect(JSON.parse(text)).toEqual({ ready: false, checks: { upstream: 'unreachable' } });
    expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
    expect(direct.lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'readiness: upstream unreachable',
        detail: expect.stringContaining('ECONNREFUSED'),
      }),
    );
    await fetch(`${direct.admin}/readyz`);
    expect(
      direct.lines.filter((line) => line.msg === 'readiness: upstream unreachable'),
      'logged once, not at every poll',
    ).toHaveLength(1);

    const dir = await tempDir();
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, '');
    const durable = await start({
      projectToken: TOKEN,
      endpoint: `http://127.0.0.1:${closed}/v1/events`,
      durableWrite: true,
      spoolDir: join(blocker, 'spool'),
    });
    const answer = await fetch(`${durable.admin}/readyz`);
    expect(answer.status).toBe(503);
    const body = await answer.text();
    expect(JSON.parse(body)).toEqual({
      ready: false,
      checks: { spool: 'not writable', upstream: 'unreachable' },
    });
    expect(body).not.toContain(dir);
    expect(durable.lines).toContainEqual(
      expect.objectContaining({
        msg: 'readiness: spool not writable',
        detail: expect.stringContaining(join(blocker, 'spool')),
      }),
    );
  });

  it('never follows an upstream redirect: reports "redirected", unready in direct mode, and the target sees nothing', async () => {
    const { redirecting, trap } = await redirectTrap();
    const direct = await start({ projectToken: TOKEN, endpoint: redirecting });
    const answer = await fetch(`${direct.admin}/readyz`);
    expect(answer.status).toBe(503);
    expect(await answer.json()).toEqual({ ready: false, checks: { upstream: 'redirected' } });
    expect(trap.received).toHaveLength(0);
    expect(direct.lines).toContainEqual(
      expect.objectContaining({
        msg: 'readiness: upstream redirected',
        detail: expect.stringContaining(`302 to ${trap.url}/steal`),
      }),
    );

    const dir = await tempDir();
    const durable = await start({
      projectToken: TOKEN,
      endpoint: redirecting,
      durableWrite: true,
      spoolDir: join(dir, 'spool'),
    });
    const ready = await fetch(`${durable.admin}/readyz`);
    expect(ready.status, 'durable mode holds batches through it').toBe(200);
    expect(await ready.json()).toEqual({
      ready: true,
      checks: { spool: 'ok', upstream: 'redirected' },
    });
    expect(trap.received).toHaveLength(0);
  });
});

describe('the tunnel metric', () => {
  it('labels answers with codes from the engine catalogue only, whatever error bodies the upstream sends', async () => {
    const STATUSES = [400, 401, 403, 413, 429, 500, 502, 503];
    const SENT = 200;
    const sentry = await upstream();
    const answers = Array.from({ length: SENT }, (_, index): UpstreamAnswer => {
      const status = STATUSES[index % STATUSES.length] as number;
      const random = Math.random().toString(36).slice(2);
      // Error bodies that look like codes (Sentry's own shape, and the relay's), each one different.
      const bodies = [
        `{"detail":"event ${random} rejected","code":"${random}"}`,
        `{"error":"err_${random}","message":"${random}"}`,
        `error: ${random}`,
        `<html>${random}</html>`,
      ];
      return {
        status,
        headers: status === 429 ? { 'retry-after': '1' } : {},
        body: bodies[(index + 1) % bodies.length] as string,
      };
    });
    for (const answer of answers) sentry.answerNext(answer);
    const dsn = sentry.dsn('42');
    const { admin, base, lines } = await start({
      projectMode: 'local-only',
      localEventsDir: await tempDir(),
      tunnel: { dsns: [dsn], rateLimitPerMinute: 100_000 },
    });
    for (let i = 0; i < SENT; i++) {
      const answer = await fetch(`${base}/postern/tunnel`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'text/plain;charset=UTF-8' },
        body: new Uint8Array(envelope(dsn)),
      });
      await answer.arrayBuffer();
    }
    expect(sentry.received.map((request) => request.answered)).toEqual(
      answers.map((answer) => answer.status),
    );
    const allowed = new Set([...Object.keys(ERROR_CODES), 'none']);
    const metrics = await (await fetch(`${admin}/metrics`)).text();
    const series = [
      ...metrics.matchAll(
        /^postern_tunnel_requests_total\{status="(\d+)",code="([^"]*)"\} (\d+)$/gm,
      ),
    ];
    expect(series.reduce((sum, match) => sum + Number(match[3]), 0)).toBe(SENT);
    expect(series.map((match) => match[2]).filter((code) => !allowed.has(code as string))).toEqual(
      [],
    );
    expect(
      series.map((match) => Number(match[1])).filter((status) => !STATUSES.includes(status)),
    ).toEqual([]);
    expect(series.length).toBeLessThanOrEqual(STATUSES.length);
    const logged = lines.filter((line) => line.msg === 'tunnel request');
    expect(logged).toHaveLength(SENT);
    expect(logged.map((line) => line.code).filter((code) => !allowed.has(code as string))).toEqual(
      [],
    );
  });
});

describe('postern doctor', () => {
  function capture(): { out: Output; checks: () => Check[] } {
    let result: { checks: Check[] } = { checks: [] };
    return {
      out: {
        json: true,
        line: () => undefined,
        error: () => undefined,
        result: (value) => (result = value as { checks: Check[] }),
      },
      checks: () => result.checks,
    };
  }

  it('never follows a redirect: the upstream probe, the token check and the relay URL report it, and its target sees nothing', async () => {
    const { redirecting, trap } = await redirectTrap();
    const load = () =>
      loadConfig({
        env: {},
        text: JSON.stringify({
          projectToken: TOKEN,
          endpoint: redirecting,
          allowedOrigins: [ORIGIN],
        }),
      });
    const { out, checks } = capture();
    expect(await doctor({ load, url: redirecting, origin: ORIGIN }, out)).toBe(1);
    const byName = Object.fromEntries(checks().map((check) => [check.name, check]));
    expect(byName['upstream reachable']).toMatchObject({
      verdict: 'fail',
      detail: `${redirecting} answered a redirect (302 to ${trap.url}/steal), which is not followed`,
    });
    expect(byName['upstream accepts the token']).toMatchObject({ verdict: 'skip' });
    expect(byName['relay reachable']).toMatchObject({
      verdict: 'fail',
      detail: expect.stringContaining(`a redirect (302 to ${trap.url}/steal)`),
    });
    expect(trap.received, 'the redirect target was never contacted').toHaveLength(0);
  });

  it('reports a token check answered with a redirect, without sending the token on', async () => {
    const trap = await upstream({ reply: { status: 200, body: '{}' } });
    // The probe's HEAD is answered, the token check's POST is redirected (307 keeps the method and the body).
    const redirecting = await upstream();
    redirecting.answerNext({ status: 405, body: '' });
    redirecting.answerNext({
      status: 307,
      headers: { location: `${trap.url}/v1/events` },
      body: '',
    });
    const load = () =>
      loadConfig({
        env: {},
        text: JSON.stringify({ projectToken: TOKEN, endpoint: `${redirecting.url}/v1/events` }),
      });
    const { out, checks } = capture();
    expect(await doctor({ load }, out)).toBe(1);
    expect(checks().find((check) => check.name === 'upstream accepts the token')).toMatchObject({
      verdict: 'fail',
      detail: `an empty batch was answered with a redirect (307 to ${trap.url}/v1/events), which is not followed`,
    });
    expect(redirecting.received.map((request) => request.method)).toEqual(['HEAD', 'POST']);
    expect(trap.received).toHaveLength(0);
  });

  it("asks a running server's admin listener whether it is ready", async () => {
    const dir = await tempDir();
    const adminPort = await freePort();
    const settings = { projectMode: 'local-only', localEventsDir: dir, adminPort };
    const load = () => loadConfig({ env: {}, text: JSON.stringify(settings) });
    const before = capture();
    expect(await doctor({ load }, before.out)).toBe(0);
    expect(before.checks().find((check) => check.name === 'server ready (/readyz)')).toMatchObject({
      verdict: 'warn',
      detail: expect.stringContaining(`nothing answers at http://127.0.0.1:${adminPort}/readyz`),
    });

    await start(settings);
    const running = capture();
    expect(await doctor({ load }, running.out)).toBe(0);
    expect(running.checks().find((check) => check.name === 'server ready (/readyz)')).toMatchObject(
      {
        verdict: 'pass',
        detail: `http://127.0.0.1:${adminPort}/readyz: ready (localEventsDir: ok)`,
      },
    );

    const off = capture();
    await doctor(
      {
        load: () =>
          loadConfig({
            env: {},
            text: JSON.stringify({ projectMode: 'local-only', localEventsDir: dir }),
          }),
      },
      off.out,
    );
    expect(off.checks().find((check) => check.name === 'server ready (/readyz)')).toMatchObject({
      verdict: 'skip',
    });
  });
});
