// `npm run bench:spool`: durable delivery alone (direct, file spool, Redis spool with AOF always and
// everysec), the same rows `npm run bench` measures among the rest; writes bench/results/spool.{md,json}.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONNECTIONS,
  DURATION,
  hasTaskset,
  measureTogether,
  pinLoadGenerator,
  RUNS,
  startBenchUpstream,
  WARMUP,
} from './measure.mjs';
import { deliveryTargets, deliveryVariants, startBenchRedis } from './spool-variants.mjs';

const here = dirname(fileURLToPath(import.meta.url));
pinLoadGenerator();
const upstream = await startBenchUpstream();
const redis = await startBenchRedis();
const setup = `${DURATION} s × ${RUNS} runs per variant (median), ${WARMUP} s warm-up, ${CONNECTIONS} connections, ${hasTaskset ? 'relay pinned to core 0; load generator, upstream and redis-server on core 1' : 'unpinned'}, Node ${process.version}`;
console.log(`Postern spool bench: ${setup}\n`);
const rows = await measureTogether(deliveryVariants(upstream.url, redis));
redis.stop();
upstream.stop();
const targets = deliveryTargets(Object.fromEntries(rows.map((row) => [row.name, row])));
for (const t of targets)
  console.log(`  ${t.met === null ? '·' : t.met ? '✓' : '✗'} ${t.target}: ${t.value}`);
const md = [
  `# Durable delivery: direct, file spool, Redis spool (${new Date().toISOString().slice(0, 10)})`,
  '',
  `${setup}. Reproduce: \`npm run bench:spool\`.`,
  '',
  '| variant | req/s (median) | runs | server CPU µs/req | p50 ms | p99 ms | RSS MB | statuses |',
  '|---|---:|---|---:|---:|---:|---:|---|',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.rps} | ${r.rpsRuns.join(', ')} | ${r.cpuUsPerRequest} | ${r.p50} | ${r.p99} | ${r.rssMb} | ${r.statuses} |`,
  ),
  '',
  '| target | measured | |',
  '|---|---:|---|',
  ...targets.map(
    (t) =>
      `| ${t.target} | ${t.value} | ${t.met === null ? 'reported' : t.met ? 'met' : 'missed'} |`,
  ),
  '',
].join('\n');
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(
  join(here, 'results', 'spool.json'),
  `${JSON.stringify({ rows, targets }, null, 2)}\n`,
);
writeFileSync(join(here, 'results', 'spool.md'), md);
console.log('\nWrote bench/results/spool.{md,json}');
