import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freePort,
  loopbackUpstream,
  relayConfig,
  sendBatch,
  sleep,
  startServer,
  waitForPort,
} from './helpers.js';

// `npm run soak -w @postern/cli` runs the same proof for longer.
const KILLS = Number(process.env.POSTERN_SOAK_KILLS ?? 5);
const SENDERS = 4;
const BATCH = 5;

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('postern serve under SIGKILL', () => {
  it(
    `loses no event answered 202 while it is killed ${KILLS} times mid-stream`,
    async () => {
      const spoolDir = await mkdtemp(join(tmpdir(), 'postern-crash-'));
      dirs.push(spoolDir);
      const upstream = await loopbackUpstream(await freePort());
      await upstream.up();
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/debugbundle/browser`;
      const config = relayConfig(upstream.url, spoolDir);

      let server = startServer(port, config);
      await waitForPort(port);
      const accepted = new Set<string>();
      let sent = 0;
      let failedRequests = 0;
      let otherStatus = 0;
      let sending = true;
      const sender = async (lane: number): Promise<void> => {
        while (sending) {
          const result = await sendBatch(url, BATCH, `crash-${lane}`);
          sent += BATCH;
          if (result === undefined) {
            failedRequests++;
            await sleep(5);
          } else if (result.status === 202) for (const id of result.ids) accepted.add(id);
          else otherStatus++;
        }
      };
      const lanes = Array.from({ length: SENDERS }, (_, lane) => sender(lane));

      for (let kill = 0; kill < KILLS; kill++) {
        await sleep(150 + Math.random() * 600);
        server.child.kill('SIGKILL');
        await server.exited;
        server = startServer(port, config);
        await waitForPort(port);
      }
      await sleep(300);
      sending = false;
      await Promise.all(lanes);

      // Everything answered 202 must reach the upstream, by the restarted server's rescan if need be.
      const deadline = Date.now() + 30_000;
      const missing = (): string[] => [...accepted].filter((id) => !upstream.received.includes(id));
      while (missing().length > 0 && Date.now() < deadline) await sleep(100);
      const lost = missing();
      const duplicated = upstream.received.length - new Set(upstream.received).size;

      server.child.kill('SIGTERM');
      const code = await server.exited;
      await upstream.down();
      console.log(
        `crash test: ${sent} events in ${sent / BATCH} batches attempted, ${accepted.size} answered 202, ${KILLS} SIGKILLs, ` +
          `${failedRequests} requests never answered (cut by a kill or refused while restarting), ${otherStatus} other answers; ` +
          `upstream received ${upstream.received.length} events, ${new Set(upstream.received).size} distinct, ${duplicated} duplicates; lost: ${lost.length}`,
      );
      expect(accepted.size).toBeGreaterThan(0);
      expect(otherStatus, server.output()).toBe(0);
      expect(
        lost,
        `lost ${lost.length} of ${accepted.size}: ${lost.slice(0, 5).join(', ')}\n${server.output()}`,
      ).toEqual([]);
      expect(upstream.leaks, 'the upstream saw a browser cookie or another token').toEqual([]);
      expect(code, 'a graceful SIGTERM exits 0').toBe(0);
    },
    120_000 + KILLS * 5000,
  );
});

describe('postern serve through an upstream outage', () => {
  it('loses nothing through an upstream outage: 202 while it is down, every event delivered once it is back', async () => {
    const spoolDir = await mkdtemp(join(tmpdir(), 'postern-outage-'));
    dirs.push(spoolDir);
    const upstream = await loopbackUpstream(await freePort());
    const port = await freePort();
    const adminPort = await freePort();
    const url = `http://127.0.0.1:${port}/debugbundle/browser`;
    const server = startServer(port, relayConfig(upstream.url, spoolDir), { adminPort });
    await waitForPort(port);
    await waitForPort(adminPort);

    const accepted: string[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) {
      const result = await sendBatch(url, BATCH, 'outage');
      if (result) statuses.push(result.status);
      if (result?.status === 202) accepted.push(...result.ids);
    }
    const ready = (await (await fetch(`http://127.0.0.1:${adminPort}/readyz`)).json()) as {
      ready: boolean;
      checks: Record<string, string>;
    };
    await sleep(300);
    expect(upstream.received).toEqual([]);

    await upstream.up();
    const deadline = Date.now() + 30_000;
    const missing = (): string[] => accepted.filter((id) => !upstream.received.includes(id));
    while (missing().length > 0 && Date.now() < deadline) await sleep(100);
    const lost = missing();
    server.child.kill('SIGTERM');
    await server.exited;
    await upstream.down();
    console.log(
      `outage test: ${accepted.length} events answered 202 while the upstream was down; after it came back it received ${upstream.received.length}; lost: ${lost.length}`,
    );
    expect(
      statuses.every((status) => status === 202),
      `statuses: ${statuses.join(',')}`,
    ).toBe(true);
    expect(ready.ready, 'durable mode stays ready through an upstream outage').toBe(true);
    expect(ready.checks.upstream).toBe('unreachable');
    expect(lost).toEqual([]);
  }, 60_000);
});

describe('two postern serve processes sharing one spool directory', () => {
  it('never deliver one entry twice at once, and deliver every entry', async () => {
    const spoolDir = await mkdtemp(join(tmpdir(), 'postern-shared-'));
    dirs.push(spoolDir);
    // A slow upstream, down while the batches arrive: both servers then find the same backlog and race for it.
    const upstream = await loopbackUpstream(await freePort(), 40);
    const ports = [await freePort(), await freePort()];
    const servers = ports.map((port) => startServer(port, relayConfig(upstream.url, spoolDir)));
    for (const port of ports) await waitForPort(port);
    const accepted: string[] = [];
    for (let i = 0; i < 60; i++) {
      const result = await sendBatch(
        `http://127.0.0.1:${ports[i % 2]}/debugbundle/browser`,
        2,
        'shared',
      );
      if (result?.status === 202) accepted.push(...result.ids);
    }
    // Longer than the 5 s rescan, so each server has queued the other's entries too before the upstream returns.
    await sleep(5500);
    await upstream.up();
    const deadline = Date.now() + 30_000;
    const missing = (): string[] => accepted.filter((id) => !upstream.received.includes(id));
    while (missing().length > 0 && Date.now() < deadline) await sleep(100);
    for (const server of servers) server.child.kill('SIGTERM');
    await Promise.all(servers.map((server) => server.exited));
    await upstream.down();
    const duplicated = upstream.received.length - new Set(upstream.received).size;
    console.log(
      `shared spool: ${accepted.length} events answered 202 by two servers; upstream received ${upstream.received.length} (${duplicated} duplicates); most sends of one batch at once: ${upstream.maxOverlap}`,
    );
    expect(accepted).toHaveLength(120);
    expect(missing()).toEqual([]);
    expect(upstream.maxOverlap).toBe(1);
    expect(duplicated).toBe(0);
  }, 60_000);
});
