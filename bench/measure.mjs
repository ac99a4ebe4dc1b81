// What every bench script shares: the load generator (autocannon, pinned to core 1 with the upstream), servers
// started on core 0, CPU and RSS read from /proc, and variants measured in alternation.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freshBatch } from './batches.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const DURATION = Number(process.env.BENCH_DURATION ?? 5);
export const RUNS = Number(process.env.BENCH_RUNS ?? 5);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
export const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
export const ADAPTERS = (process.env.BENCH_ADAPTERS ?? 'node,express,fastify').split(',');
export const PATH = '/debugbundle/browser';
export const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
})();

/** The load generator (this process) stays on core 1 with the upstream, so the server has core 0 to itself. */
export function pinLoadGenerator() {
  if (hasTaskset)
    execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
}

export function hasCommand(name) {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`]);
    return true;
  } catch {
    return false;
  }
}

export const batch = freshBatch;
/** The same batch every time: what a relay sees when an SDK keeps re-sending it. */
export const retriedBatch = freshBatch();
export const validHeaders = { origin: 'https://app.example', 'content-type': 'application/json' };

/** A port free right now, from the kernel: a fixed range would collide with the load's own ephemeral ports. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** A server on its own core (core 0), the load generator and upstream on the other. */
export async function startServer(script, env) {
  const port = await freePort();
  const args = [join(here, 'servers', script)];
  const options = {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  };
  const child = hasTaskset
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], options)
    : spawn(process.execPath, args, options);
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => chunk.toString().includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  // The whole process group: a server may have children of its own (nginx).
  return {
    port,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        process.kill(-child.pid, 'SIGKILL');
      }),
  };
}

/** CPU seconds (user + system) a process has used, from /proc: the server's own cost, whatever the load generator can push. */
export function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

export function sampleRss(pid) {
  let max = rssMb(pid);
  const timer = setInterval(() => {
    try {
      max = Math.max(max, rssMb(pid));
    } catch {
      // the process is gone
    }
  }, 100);
  return () => {
    clearInterval(timer);
    return max;
  };
}

/**
 * `body` is a string sent as is, or a function called for every request; `headers` an object, or a function
 * called for every request whose headers are added to the object's. `amount` sends that many requests
 * instead of loading for `seconds`.
 */
export function load(port, headers, body, seconds, amount, path = PATH) {
  const perRequestHeaders = typeof headers === 'function' ? headers : undefined;
  const options = {
    url: `http://127.0.0.1:${port}${path}`,
    method: 'POST',
    headers: perRequestHeaders ? validHeaders : headers,
    connections: CONNECTIONS,
    ...(amount ? { amount } : { duration: seconds }),
  };
  if (typeof body === 'function' || perRequestHeaders) {
    options.requests = [
      {
        setupRequest: (request) => ({
          ...request,
          ...(perRequestHeaders ? { headers: { ...request.headers, ...perRequestHeaders() } } : {}),
          ...(typeof body === 'function' ? { body: body() } : {}),
        }),
      },
    ];
  }
  if (typeof body !== 'function') options.body = body;
  return autocannon(options);
}

export const median = (values) =>
  [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/**
 * Measures variants that are compared with each other in alternation (A B A B …), each on its own server
 * started before the first run: drift in the machine (thermal, other processes) lands on both sides of a
 * ratio instead of on whichever happened to run second.
 */
export async function measureTogether(variants) {
  const servers = [];
  try {
    for (const variant of variants) servers.push(await startServer(variant.script, variant.env));
    // A variant may bring its server to a state first (rate-limit clients known), before the warm-up.
    for (const [index, variant] of variants.entries())
      if (variant.prime) await variant.prime(servers[index].port);
    for (const [index, variant] of variants.entries()) {
      await load(
        servers[index].port,
        variant.headers,
        variant.body,
        WARMUP,
        undefined,
        variant.path,
      );
      await variant.drain?.();
    }
    const runs = variants.map(() => []);
    const samplers = servers.map((server) => sampleRss(server.pid));
    const cpu = variants.map(() => []);
    for (let run = 0; run < RUNS; run++) {
      for (const [index, variant] of variants.entries()) {
        const before = cpuSeconds(servers[index].pid);
        const started = performance.now();
        const result = await load(
          servers[index].port,
          variant.headers,
          variant.body,
          DURATION,
          undefined,
          variant.path,
        );
        // A spool answers before it forwards: its run lasts until the backlog is delivered, so the rate and
        // the CPU are those of sustained delivery, and no forwarding spills into another variant's run.
        if (variant.drain) {
          await variant.drain();
          const seconds = (performance.now() - started) / 1000;
          result.requests.average = result.requests.total / seconds;
        }
        runs[index].push(result);
        cpu[index].push(
          ((cpuSeconds(servers[index].pid) - before) * 1e6) / Math.max(1, result.requests.total),
        );
      }
    }
    const rss = samplers.map((stop) => stop());
    return variants.map((variant, index) => {
      const own = runs[index];
      const statuses = Object.keys(own[0].statusCodeStats ?? {}).join('/');
      const row = {
        name: variant.name,
        group: variant.group,
        rps: Math.round(median(own.map((r) => r.requests.average))),
        rpsRuns: own.map((r) => Math.round(r.requests.average)),
        cpuRuns: variant.script === 'nginx.mjs' ? null : cpu[index].map((us) => Math.round(us)),
        // nginx works in its own worker processes, not the wrapper the bench started: no figure for it.
        cpuUsPerRequest: variant.script === 'nginx.mjs' ? null : Math.round(median(cpu[index])),
        p50: median(own.map((r) => r.latency.p50)),
        p99: median(own.map((r) => r.latency.p99)),
        rssMb: Math.round(rss[index]),
        statuses,
        errors: own.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
      };
      console.log(
        `${variant.name.padEnd(24)} ${String(row.rps).padStart(7)} req/s  ${String(row.cpuUsPerRequest ?? 'n/a').padStart(4)} µs CPU/req  p50 ${row.p50} ms  p99 ${row.p99} ms  rss ${row.rssMb} MB  [${statuses}]  runs ${row.rpsRuns.join(' ')}`,
      );
      return row;
    });
  } finally {
    for (const server of servers) await server.stop();
  }
}

/**
 * The ratio of two rows measured together, run by run: run i of one side was measured next to run i of
 * the other (alternation), so each pair shares the machine's state. `by` is `rps` or `cpu` (server CPU per
 * request). The median of the pairs is the figure; the lowest and highest pairs are its spread.
 */
export function pairedRatio(a, b, by = 'rps') {
  const runs = (row) => (by === 'rps' ? row.rpsRuns : row.cpuRuns);
  const pairs = runs(a).map((value, i) => value / runs(b)[i]);
  const ratio = { median: median(pairs), low: Math.min(...pairs), high: Math.max(...pairs) };
  return {
    ...ratio,
    text: `${ratio.median.toFixed(2)}× (runs ${ratio.low.toFixed(2)}–${ratio.high.toFixed(2)})`,
  };
}

/**
 * A target is met only when every run meets it: the lowest pair for `≥`, the highest for `≤`. A median
 * that meets it while a run does not is reported as missed.
 */
export function judge(ratio, op, bound) {
  return op === '>=' ? ratio.low >= bound : ratio.high <= bound;
}

export const variant = (name, group, script, env, headers = validHeaders, body = batch) => ({
  name,
  group,
  script,
  env,
  headers,
  body,
});

/** The recording-free upstream every variant forwards to, on core 1 with the load generator. */
export async function startBenchUpstream() {
  const port = await freePort();
  const args = [join(here, 'servers', 'upstream.mjs')];
  const options = {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  };
  const child = hasTaskset
    ? spawn('taskset', ['-c', '1', process.execPath, ...args], options)
    : spawn(process.execPath, args, options);
  await new Promise((resolve) => child.stdout.on('data', resolve));
  return { url: `http://127.0.0.1:${port}/v1/events`, stop: () => child.kill('SIGKILL') };
}
