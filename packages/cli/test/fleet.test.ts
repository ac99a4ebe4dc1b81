import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Program, startNginx, startRedis } from './fleet-helpers.js';
import {
  freePort,
  loopbackUpstream,
  relayConfig,
  sendBatch,
  sleep,
  startServer,
  waitForPort,
} from './helpers.js';

// `npm run soak` runs the same proof for five minutes.
const SECONDS = Number(process.env.POSTERN_FLEET_SECONDS ?? 24);
const RELAYS = 3;
const SENDERS = 4;
const BATCH = 5;

const dirs: string[] = [];
/** What the test started, stopped even when it fails midway (nginx's workers would outlive the test). */
const stops: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('a fleet of postern serve sharing a Redis spool, behind nginx', () => {
  it(
    `loses no event answered 202 while relays are SIGKILLed, Redis is killed once and the upstream goes down (${SECONDS} s)`,
    async () => {
      const redisDir = await mkdtemp(join(tmpdir(), 'postern-fleet-redis-'));
      dirs.push(redisDir);
      const redisPort = await freePort();
      let redis: Program = await startRedis(redisPort, redisDir);
      stops.push(() => redis.kill());
      const upstream = await loopbackUpstream(await freePort());
      await upstream.up();
      stops.push(() => upstream.down());
      const config = {
        ...relayConfig(upstream.url, join(redisDir, 'unused-spool-dir')),
        spoolRedis: `redis://127.0.0.1:${redisPort}`,
        // The lease is this plus 5 s: how long a killed relay's entries wait before another takes them over.
        upstreamTimeoutMs: 1000,
      };
      const ports = await Promise.all(Array.from({ length: RELAYS }, () => freePort()));
      const relays = ports.map((port) => startServer(port, config));
      stops.push(async () => {
        for (const relay of relays) if (relay.child.exitCode === null) relay.child.kill('SIGKILL');
      });
      for (const port of ports) await waitForPort(port);
      const lbPort = await freePort();
      const nginx = await startNginx(lbPort, ports);
      stops.push(() => nginx.stop());
      const url = `http://127.0.0.1:${lbPort}/debugbundle/browser`;

      const accepted = new Set<string>();
      const statuses = new Map<number, number>();
      let sent = 0;
      let cut = 0;
      let sending = true;
      const sender = async (lane: number): Promise<void> => {
        while (sending) {
          const result = await sendBatch(url, BATCH, `fleet-${lane}`);
          sent += BATCH;
          if (result === undefined) cut++;
          else {
            statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
            if (result.status === 202) for (const id of result.ids) accepted.add(id);
            else await sleep(20); // what an SDK does after a refusal: back off, then send again later
          }
        }
      };
      const lanes = Array.from({ length: SENDERS }, (_, lane) => sender(lane));

      // Chaos on a clock: relays killed at random all along; the upstream down from 30 % to 65 % of the run, and
      // Redis killed once at half-time, inside the outage.
      const started = Date.now();
      const elapsed = (): number => (Date.now() - started) / 1000;
      let kills = 0;
      let redisKilled = false;
      let outage: 'before' | 'down' | 'after' = 'before';
      while (elapsed() < SECONDS) {
        await sleep(1000 + Math.random() * 1500);
        const victim = Math.floor(Math.random() * RELAYS);
        relays[victim]?.child.kill('SIGKILL');
        await relays[victim]?.exited;
        kills++;
        await sleep(100 + Math.random() * 400);
        relays[victim] = startServer(ports[victim] as number, config);
        if (outage === 'before' && elapsed() > SECONDS * 0.3) {
          outage = 'down';
          await upstream.down();
        } else if (outage === 'down' && elapsed() > SECONDS * 0.65) {
          outage = 'after';
          await upstream.up();
        }
        // Redis is killed in the middle of the outage, when the stream holds everything accepted since it began.
        if (!redisKilled && elapsed() > SECONDS * 0.5) {
          redisKilled = true;
          await redis.kill();
          await sleep(500);
          redis = await startRedis(redisPort, redisDir);
        }
      }
      if (outage !== 'after') await upstream.up();
      sending = false;
      await Promise.all(lanes);

      // Every event answered 202 must reach the upstream: entries a killed relay held are taken over after the lease.
      const deadline = Date.now() + 60_000;
      const missing = (): string[] => {
        const received = new Set(upstream.received);
        return [...accepted].filter((id) => !received.has(id));
      };
      while (missing().length > 0 && Date.now() < deadline) await sleep(200);
      const lost = missing();
      const duplicated = upstream.received.length - new Set(upstream.received).size;
      const outputs = relays.map((relay) => relay.output()).join('\n');

      // The last relay restarted may still be starting; a SIGTERM before node has run a line of the bin can only
      // kill it (the bin listens for one before it loads the relay: cli.test.ts "while its modules still load").
      for (const port of ports) await waitForPort(port);
      for (const relay of relays) relay.child.kill('SIGTERM');
      const codes = await Promise.all(relays.map((relay) => relay.exited));
      await nginx.stop();
      await redis.kill();
      await upstream.down();
      console.log(
        `fleet test: ${SECONDS} s, ${RELAYS} relays behind nginx, ${kills} relay SIGKILLs, Redis SIGKILLed once during an upstream outage of a third of the run; ` +
          `${sent / BATCH} batches sent, ${accepted.size} events answered 202, answers ${JSON.stringify(Object.fromEntries(statuses))}, ${cut} connections cut; ` +
          `upstream received ${upstream.received.length} events, ${new Set(upstream.received).size} distinct, ${duplicated} duplicates; lost: ${lost.length}`,
      );
      expect(accepted.size).toBeGreaterThan(0);
      expect(redisKilled && kills > 0).toBe(true);
      expect(
        lost,
        `lost ${lost.length} of ${accepted.size}: ${lost.slice(0, 5).join(', ')}\n${outputs}`,
      ).toEqual([]);
      // Refusals are what a fleet in trouble may answer, each one a batch the SDK still holds: 502 from nginx
      // for a request cut by a kill, 503 spool_unavailable while Redis restarts.
      expect([...statuses.keys()].filter((status) => ![202, 502, 503].includes(status))).toEqual(
        [],
      );
      // A duplicate needs its acknowledgement lost after the upstream took it (a kill, or Redis going down):
      // at most the entries in flight, 16 per relay: one relay at each kill, all three at the Redis restart.
      expect(duplicated).toBeLessThanOrEqual((kills + RELAYS) * 16 * BATCH);
      expect(upstream.leaks, 'the upstream saw a browser cookie or another token').toEqual([]);
      expect(codes, outputs).toEqual(relays.map(() => 0));
    },
    (SECONDS + 150) * 1000,
  );
});
