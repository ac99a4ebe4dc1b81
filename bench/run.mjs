// `npm run bench`: every adapter's relay route against the same framework's bare route, the refusal paths
// against the forward path, and memory under slow clients and oversized bodies. Ratios, never absolute
// targets: both sides of a ratio are measured in the same run on the same machine.
import { writeFileSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workerBundleSize } from './worker-bundle.mjs';
import { benchDsn, errorEnvelope, replayEnvelope, TUNNEL_PATH } from './envelopes.mjs';
import { renderChart } from './chart.mjs';
import {
  ADAPTERS,
  CONNECTIONS,
  DURATION,
  hasCommand,
  hasTaskset,
  judge,
  load,
  measureTogether,
  PATH,
  pairedRatio,
  pinLoadGenerator,
  retriedBatch,
  RUNS,
  sampleRss,
  startBenchUpstream,
  startServer,
  validHeaders,
  variant,
  WARMUP,
} from './measure.mjs';
import { deliveryTargets, deliveryVariants, startBenchRedis } from './spool-variants.mjs';

const here = dirname(fileURLToPath(import.meta.url));
pinLoadGenerator();

/** 1000 clients that send headers announcing a body and then trickle it, one byte a second. */
async function slowClients(script, env, count = 1000, seconds = 6) {
  const server = await startServer(script, env);
  const stopSampling = sampleRss(server.pid);
  const sockets = [];
  for (let i = 0; i < count; i++) {
    const socket = connect(server.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(
      `POST ${PATH} HTTP/1.1\r\nHost: bench\r\nOrigin: https://app.example\r\nContent-Type: application/json\r\nContent-Length: 200000\r\n\r\n{`,
    );
    sockets.push(socket);
  }
  const trickle = setInterval(() => {
    for (const socket of sockets) socket.write('[');
  }, 1000);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  clearInterval(trickle);
  const rss = stopSampling();
  for (const socket of sockets) socket.destroy();
  await server.stop();
  return Math.round(rss);
}

/** Clients each streaming a 20 MiB chunked body with no Content-Length: refused at the cap, memory bounded. */
async function hugeBodies(script, env, clients = 20, mib = 20) {
  const server = await startServer(script, env);
  const stopSampling = sampleRss(server.pid);
  const chunk = Buffer.alloc(64 * 1024, 'x');
  const statuses = await Promise.all(
    Array.from(
      { length: clients },
      () =>
        new Promise((resolve) => {
          const req = request({
            port: server.port,
            host: '127.0.0.1',
            path: PATH,
            method: 'POST',
            headers: { ...validHeaders, 'transfer-encoding': 'chunked' },
          });
          req.on('response', (res) => {
            res.resume();
            resolve(res.statusCode);
            req.destroy();
          });
          req.on('error', () => resolve('reset'));
          let sent = 0;
          const pump = () => {
            while (sent < mib * 1024 * 1024) {
              sent += chunk.length;
              if (!req.write(chunk)) return req.once('drain', pump);
            }
            req.end();
          };
          pump();
        }),
    ),
  );
  const rss = stopSampling();
  await server.stop();
  return { rssMb: Math.round(rss), statuses: [...new Set(statuses)].join('/') };
}

const upstream = await startBenchUpstream();
const UPSTREAM = upstream.url;
const redis = await startBenchRedis();

console.log(
  `Postern bench: ${DURATION} s × ${RUNS} runs per variant after ${WARMUP} s warm-up, ${CONNECTIONS} connections, ${hasTaskset ? 'server on core 0, load and upstream on core 1' : 'no taskset: unpinned'}, Node ${process.version}\n`,
);
const rows = [];
for (const adapter of ADAPTERS) {
  rows.push(
    ...(await measureTogether([
      variant(`${adapter} relay`, 'adapter', `${adapter}.mjs`, { UPSTREAM, VARIANT: 'relay' }),
      variant(`${adapter} bare (undici)`, 'adapter', `${adapter}.mjs`, {
        UPSTREAM,
        VARIANT: 'bare-undici',
      }),
      variant(`${adapter} bare (fetch)`, 'adapter', `${adapter}.mjs`, {
        UPSTREAM,
        VARIANT: 'bare',
      }),
    ])),
  );
}
const nginx = hasCommand('nginx');
if (!nginx)
  console.log('nginx is not installed (bench/setup.sh installs it as root): its rows are skipped');
rows.push(
  ...(await measureTogether([
    variant('standalone relay', 'standalone', 'standalone.mjs', { UPSTREAM }),
    variant('node:http bare forward', 'standalone', 'node.mjs', {
      UPSTREAM,
      VARIANT: 'bare-undici',
    }),
    ...(nginx ? [variant('nginx proxy_pass', 'standalone', 'nginx.mjs', { UPSTREAM })] : []),
  ])),
);
rows.push(
  ...(await measureTogether([
    variant('forward (202)', 'refusal', 'node.mjs', { UPSTREAM, VARIANT: 'relay' }),
    variant(
      'origin refused (403)',
      'refusal',
      'node.mjs',
      { UPSTREAM, VARIANT: 'relay' },
      { ...validHeaders, origin: 'https://evil.example' },
    ),
    variant('rate limited (429)', 'refusal', 'node.mjs', { UPSTREAM, VARIANT: 'relay-429' }),
    variant('too large (413)', 'refusal', 'node.mjs', { UPSTREAM, VARIANT: 'relay-413' }),
    variant('empty 204 (bare node:http)', 'refusal', 'node.mjs', {
      UPSTREAM,
      VARIANT: 'empty-204',
    }),
  ])),
);
// The Sentry tunnel against the peer an app would pick instead: Sentry's own handleTunnelRequest on the
// same node:http server, the same envelopes, the same upstream.
const DSN = benchDsn(UPSTREAM);
const tunnelHeaders = { origin: 'https://app.example', 'content-type': 'text/plain;charset=UTF-8' };
for (const [kind, make] of [
  ['error event', errorEnvelope],
  ['200 KB replay segment', replayEnvelope],
]) {
  rows.push(
    ...(await measureTogether(
      ['postern', 'sentry'].map((side) => ({
        ...variant(
          `${side === 'postern' ? 'Postern tunnel' : 'Sentry handleTunnelRequest'} (${kind})`,
          'tunnel',
          'tunnel.mjs',
          { UPSTREAM, VARIANT: side },
          tunnelHeaders,
          () => make(DSN),
        ),
        path: TUNNEL_PATH,
      })),
    )),
  );
}
// What remembering delivered ids costs: the same relay with and without dedup, on fresh ids (its memory
// store full at 100 000 ids after the warm-up), and the retry path, where every event was delivered before.
rows.push(
  ...(await measureTogether([
    variant('relay, dedup on', 'dedup', 'node.mjs', { UPSTREAM, VARIANT: 'relay' }),
    variant('relay, dedup off', 'dedup', 'node.mjs', { UPSTREAM, VARIANT: 'relay-nodedup' }),
    variant(
      'relay, every event a retry',
      'dedup',
      'node.mjs',
      { UPSTREAM, VARIANT: 'relay' },
      validHeaders,
      retriedBatch,
    ),
  ])),
);
// The rate-limit store under many clients: the same relay (trustProxy on, so each X-Forwarded-For is a
// client; a body cap below the batch, so each request is counted and then refused 413 unread, the cheapest
// path through the rate limit) with 10 clients, and with 100 000 clients known (sent before the warm-up)
// and a new client on every request, each evicting the least recently used one.
const clientAddress = (i) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
let tenClients = 0;
let newClients = 0;
rows.push(
  ...(await measureTogether([
    variant(
      'rate limit, 10 clients (413)',
      'rate limit',
      'node.mjs',
      { UPSTREAM, VARIANT: 'relay-clients' },
      () => ({ 'x-forwarded-for': clientAddress(tenClients++ % 10) }),
      retriedBatch,
    ),
    {
      ...variant(
        'rate limit, 100 000 clients + a new one per request (413)',
        'rate limit',
        'node.mjs',
        { UPSTREAM, VARIANT: 'relay-clients' },
        () => ({ 'x-forwarded-for': clientAddress(newClients++) }),
        retriedBatch,
      ),
      prime: (port) =>
        load(
          port,
          () => ({ 'x-forwarded-for': clientAddress(newClients++) }),
          retriedBatch,
          0,
          100_000,
        ),
    },
  ])),
);
// Durable delivery: direct forwarding against the file spool and the Redis Streams spool.
rows.push(...(await measureTogether(deliveryVariants(UPSTREAM, redis))));
await redis.stop();
const slowRss = await slowClients('node.mjs', { UPSTREAM, VARIANT: 'relay' });
const huge = await hugeBodies('node.mjs', { UPSTREAM, VARIANT: 'relay' });
upstream.stop();

const bundle = await workerBundleSize();
const byName = Object.fromEntries(rows.map((row) => [row.name, row]));
const targets = [
  ...ADAPTERS.flatMap((adapter) =>
    ['undici', 'fetch'].map((client) => {
      const ratio = pairedRatio(byName[`${adapter} relay`], byName[`${adapter} bare (${client})`]);
      return {
        target: `${adapter} relay ≥ 0.90× ${adapter} bare route (${client})`,
        value: ratio.text,
        met: judge(ratio, '>=', 0.9),
      };
    }),
  ),
  ...[['node:http bare forward', 0.9], ...(nginx ? [['nginx proxy_pass', null]] : [])].map(
    ([name, floor]) => {
      const ratio = pairedRatio(byName['standalone relay'], byName[name]);
      return floor === null
        ? {
            target: `standalone relay vs ${name} (reported, no target)`,
            value: ratio.text,
            met: null,
          }
        : {
            target: `standalone relay ≥ ${floor.toFixed(2)}× ${name}`,
            value: ratio.text,
            met: judge(ratio, '>=', floor),
          };
    },
  ),
  // Peak RSS over all runs: the relay holds the dedup table (100 000 ids in typed arrays, about 10 MB once
  // full) and the rate-limit store besides what the bare route holds.
  ...ADAPTERS.map((adapter) => {
    const relay = byName[`${adapter} relay`];
    const bare = byName[`${adapter} bare (undici)`];
    const more = relay.rssMb - bare.rssMb;
    return {
      target: `${adapter} relay's RSS under the forward load within 30 MB of the bare route's (undici; peak ${relay.rssMb} vs ${bare.rssMb} MB)`,
      value: `${more >= 0 ? '+' : ''}${more} MB`,
      met: more <= 30,
    };
  }),
  // Refusals are judged by the server's CPU per request: at several times the forward path's rate, one
  // core of load generator is what runs out first, so requests per second would measure autocannon.
  ...['origin refused (403)', 'rate limited (429)', 'too large (413)'].map((name) => {
    const ratio = pairedRatio(byName['forward (202)'], byName[name], 'cpu');
    const rpsRatio = byName[name].rps / byName['forward (202)'].rps;
    return {
      target: `${name} ≥ 3× cheaper than the forward path (server CPU per request; req/s ratio ${rpsRatio.toFixed(2)}×)`,
      value: ratio.text,
      met: judge(ratio, '>=', 3),
    };
  }),
  // The floor Node's own HTTP handling sets: a refusal should cost little more than answering at all.
  ...['origin refused (403)', 'rate limited (429)', 'too large (413)'].map((name) => {
    const floor = byName['empty 204 (bare node:http)'];
    const ratio = pairedRatio(byName[name], floor, 'cpu');
    return {
      target: `${name} within 1.3× of an empty 204 from bare node:http (server CPU ${byName[name].cpuUsPerRequest} vs ${floor.cpuUsPerRequest} µs per request)`,
      value: ratio.text,
      met: judge(ratio, '<=', 1.3),
    };
  }),
  ...['error event', '200 KB replay segment'].map((kind) => {
    const postern = byName[`Postern tunnel (${kind})`];
    const sentry = byName[`Sentry handleTunnelRequest (${kind})`];
    const ratio = pairedRatio(postern, sentry);
    return {
      target: `Postern tunnel ≥ 1.0× Sentry's handleTunnelRequest, ${kind} (req/s; server CPU ${postern.cpuUsPerRequest} vs ${sentry.cpuUsPerRequest} µs per request)`,
      value: ratio.text,
      met: judge(ratio, '>=', 1),
    };
  }),
  (() => {
    const on = byName['relay, dedup on'];
    const off = byName['relay, dedup off'];
    return {
      target: `dedup of delivered event ids (100 000 remembered): req/s with / without, CPU ${on.cpuUsPerRequest} vs ${off.cpuUsPerRequest} µs per request (reported)`,
      value: pairedRatio(on, off).text,
      met: null,
    };
  })(),
  (() => {
    const few = byName['rate limit, 10 clients (413)'];
    const many = byName['rate limit, 100 000 clients + a new one per request (413)'];
    const ratio = pairedRatio(many, few, 'cpu');
    return {
      target: `rate limit with 100 000 clients and a new one per request ≤ 2× the cost with 10 (server CPU ${many.cpuUsPerRequest} vs ${few.cpuUsPerRequest} µs per request; req/s ${many.rps} vs ${few.rps})`,
      value: ratio.text,
      met: judge(ratio, '<=', 2),
    };
  })(),
  ...deliveryTargets(byName),
  {
    target: `@postern/core as a Worker bundle, both engines (esbuild, minified: ${(bundle.minifiedBytes / 1024).toFixed(1)} KiB), gzip (reported)`,
    value: `${(bundle.gzipBytes / 1024).toFixed(1)} KiB`,
    met: null,
  },
  { target: 'RSS < 150 MB with 1000 slow clients', value: `${slowRss} MB`, met: slowRss < 150 },
  {
    target: `RSS < 150 MB refusing 20 × 20 MiB bodies (${huge.statuses})`,
    value: `${huge.rssMb} MB`,
    met: huge.rssMb < 150 && huge.statuses === '413',
  },
];

console.log('\nTargets');
const verdict = (t) => (t.met === null ? 'reported' : t.met ? 'met' : 'missed');
for (const t of targets)
  console.log(
    `  ${t.met === null ? '·        ' : t.met ? '✓ met   ' : '✗ missed'}  ${t.target}: ${t.value}`,
  );

const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: 2,
  duration: DURATION,
  runs: RUNS,
  connections: CONNECTIONS,
  pinned: hasTaskset,
  rows,
  targets,
  slowClientsRssMb: slowRss,
  hugeBodies: huge,
};
const md = [
  `# Postern benchmark (${result.date.slice(0, 10)})`,
  '',
  `${DURATION} s × ${RUNS} runs per variant (median), ${WARMUP} s warm-up, ${CONNECTIONS} connections, ${hasTaskset ? 'server pinned to core 0, load generator and upstream to core 1' : 'unpinned'}, Node ${process.version}. Reproduce: \`npm run bench\`.`,
  '',
  'Variants compared with each other run in alternation (A B A B …) against servers started together, so drift lands on both sides of a ratio. Each ratio is taken run by run (run i of one side against run i of the other): the figure is the median of those pairs, the range after it the lowest and highest pair, and a target is met only when every pair meets it.',
  '',
  '| variant | req/s (median) | runs | server CPU µs/req | p50 ms | p99 ms | RSS MB | statuses |',
  '|---|---:|---|---:|---:|---:|---:|---|',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.rps} | ${r.rpsRuns.join(', ')} | ${r.cpuUsPerRequest ?? 'n/a'} | ${r.p50} | ${r.p99} | ${r.rssMb} | ${r.statuses} |`,
  ),
  '',
  '| target | measured | |',
  '|---|---:|---|',
  ...targets.map((t) => `| ${t.target} | ${t.value} | ${verdict(t)} |`),
  '',
].join('\n');
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(join(here, 'results', 'latest.md'), md);
writeFileSync(join(here, 'results', 'latest.svg'), renderChart(rows));
console.log(`\nWrote bench/results/latest.{json,md,svg}`);
