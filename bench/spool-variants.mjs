// Durable delivery in the bench: the same node:http relay forwarding directly, through the file spool, and
// through the Redis Streams spool (with the dedup store on the same Redis, as `postern serve` sets it up),
// against two redis-servers: AOF fsync'd on every write, and once a second.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, hasTaskset, judge, pairedRatio, variant } from './measure.mjs';

async function redisServer(appendfsync) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `postern-bench-redis-${appendfsync}-`));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--appendonly', 'yes', '--appendfsync', appendfsync);
  // With the load generator and the upstream on core 1: the relay's core stays its own.
  const child = hasTaskset
    ? spawn('taskset', ['-c', '1', 'redis-server', ...args], { stdio: 'ignore' })
    : spawn('redis-server', args, { stdio: 'ignore' });
  for (;;) {
    const open = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(socket.destroy() || true));
      socket.once('error', () => resolve(false));
    });
    if (open) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

/**
 * Two redis-servers, AOF fsync'd on every write and once a second; `backlog` reads the length of each one's
 * spool stream (delivered entries are deleted, so its length is what is still owed to the upstream).
 */
export async function startBenchRedis() {
  const { Redis } = await import('ioredis');
  const servers = { always: await redisServer('always'), everysec: await redisServer('everysec') };
  const clients = {
    always: new Redis(servers.always.url),
    everysec: new Redis(servers.everysec.url),
  };
  return {
    always: servers.always.url,
    everysec: servers.everysec.url,
    backlog: {
      always: () => clients.always.xlen('postern:spool:stream'),
      everysec: () => clients.everysec.xlen('postern:spool:stream'),
    },
    stop: () => {
      for (const client of Object.values(clients)) client.disconnect();
      for (const server of Object.values(servers)) server.stop();
    },
  };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `undelivered()` reaches 0: the spool has forwarded everything the run stored. */
async function until(undelivered) {
  while ((await undelivered()) > 0) await sleep(20);
}

/** Entries of the file spool still owed to the upstream: `<id>.json` and `<id>.inflight~…` files. */
const fileBacklog = (dir) => () =>
  readdirSync(dir).filter((name) => /\.(json|inflight~)/.test(name)).length;

export function deliveryVariants(upstream, redis) {
  const env = (VARIANT, extra = {}) => ({ UPSTREAM: upstream, VARIANT, ...extra });
  const spoolDir = mkdtempSync(join(tmpdir(), 'postern-bench-spool-'));
  const drains = { file: fileBacklog(spoolDir), ...redis.backlog };
  const withDrain = (row, backlog) => ({ ...row, drain: () => until(backlog) });
  return [
    variant('delivery: direct', 'delivery', 'node.mjs', env('relay')),
    withDrain(
      variant(
        'delivery: file spool',
        'delivery',
        'node.mjs',
        env('relay-file-spool', { SPOOL_DIR: spoolDir }),
      ),
      drains.file,
    ),
    withDrain(
      variant(
        'delivery: Redis spool (AOF always)',
        'delivery',
        'node.mjs',
        env('relay-redis-spool', { REDIS_URL: redis.always }),
      ),
      drains.always,
    ),
    withDrain(
      variant(
        'delivery: Redis spool (AOF everysec)',
        'delivery',
        'node.mjs',
        env('relay-redis-spool', { REDIS_URL: redis.everysec }),
      ),
      drains.everysec,
    ),
  ];
}

export function deliveryTargets(byName) {
  const direct = byName['delivery: direct'];
  const row = (name) => byName[`delivery: ${name}`];
  const ratio = (name) => pairedRatio(row(name), direct);
  const cpu = (name) =>
    `server CPU ${row(name).cpuUsPerRequest} vs ${direct.cpuUsPerRequest} µs per request`;
  return [
    {
      target: `Redis spool (AOF always) ≥ 0.75× direct delivery (req/s answered 202, counted until the backlog is delivered; ${cpu('Redis spool (AOF always)')})`,
      value: ratio('Redis spool (AOF always)').text,
      met: judge(ratio('Redis spool (AOF always)'), '>=', 0.75),
    },
    {
      target: `Redis spool (AOF everysec) vs direct delivery (reported; ${cpu('Redis spool (AOF everysec)')})`,
      value: ratio('Redis spool (AOF everysec)').text,
      met: null,
    },
    {
      target: `file spool vs direct delivery (reported; ${cpu('file spool')})`,
      value: ratio('file spool').text,
      met: null,
    },
  ];
}
