// The cost budget per stage of the forward path: the node:http relay and the bare undici route under the
// same load, each with V8's sampling profiler on, every sample charged to the stage of the innermost frame
// that belongs to one (source maps lead from dist/ back to packages/*/src). Written to
// bench/results/stage-budget.{md,json}, so each change shows which stage it moved.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freshBatch } from './batches.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const SECONDS = Number(process.env.BENCH_STAGE_SECONDS ?? 8);
// Load before the profiled window, so it holds optimised code, not the JIT's warm-up (V8 compiles the hot
// functions a few seconds in, and a relay has more of them than a bare route).
const WARMUP_SECONDS = Number(process.env.BENCH_STAGE_WARMUP ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);

/** Stages in the order the forward path runs them; each claims source files (after source maps) or frames. */
const STAGES = [
  ['gate: method, origin, CORS', (f) => /core\/src\/(gate|origin|path)\.ts$/.test(f.source)],
  ['gate: client address', (f) => /core\/src\/client-ip\.ts$/.test(f.source)],
  ['gate: rate limit', (f) => /core\/src\/rate-limit\//.test(f.source)],
  ['body read', (f) => /core\/src\/(body|content-encoding|content-type)\.ts$/.test(f.source)],
  [
    'parse',
    (f) =>
      (f.name === 'parse' && f.source === '') ||
      /core\/src\/(browser\/batch|json-depth)\.ts$/.test(f.source),
  ],
  [
    'validation',
    (f) =>
      /core\/src\/browser\/(validate\.ts|validators\.generated\.js|event-types\.ts)$/.test(
        f.source,
      ),
  ],
  ['sanitising', (f) => /core\/src\/(browser\/sanitise\.ts|scrub\/)/.test(f.source)],
  ['dedup', (f) => /core\/src\/dedup\//.test(f.source)],
  [
    'transport (undici)',
    (f) => /undici|core\/src\/delivery\/transport\.ts$|node\/src\/transport\.ts$/.test(f.source),
  ],
  [
    'delivery (building and serialising the upstream body)',
    (f) => /core\/src\/delivery\//.test(f.source),
  ],
  [
    'adapter and response',
    (f) => /node\/src\/index\.ts$|core\/src\/(respond|request)\.ts$/.test(f.source),
  ],
  ['engine (the rest of core)', (f) => /core\/src\//.test(f.source)],
  // The bare route's own code (read, JSON.parse, JSON.stringify inlined into it), so both sides compare.
  ['bare route (read, parse, serialise)', (f) => /bench\/servers\//.test(f.source)],
];
const NODE = 'Node (HTTP server, sockets, streams)';
const GC = 'garbage collection';
const NATIVE = 'V8 and native, unattributed';

/** Source maps of dist files, loaded once each. */
const maps = new Map();
function sourceOf(url, line, column) {
  if (!url.startsWith('file://')) return url.startsWith('node:') ? url : '';
  const path = fileURLToPath(url);
  if (!maps.has(path)) {
    let map = null;
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
    } catch {
      // no map: the file is its own source
    }
    maps.set(path, map);
  }
  const map = maps.get(path);
  const entry = map?.findEntry(line, column);
  const original = entry?.originalSource ? fileURLToPath(new URL(entry.originalSource, url)) : path;
  return relative(root, original);
}

/** µs of main-thread time per stage, from a .cpuprofile, counting samples from `fromUs` after its start. */
function attribute(profile, fromUs) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const stageOf = new Map();
  const frameStage = (node) => {
    const { functionName: name, url, lineNumber, columnNumber } = node.callFrame;
    if (name === '(garbage collector)') return GC;
    if (name === '(idle)') return 'idle';
    if (name === '(program)') return NATIVE;
    const frame = { name, source: sourceOf(url, lineNumber, columnNumber) };
    return STAGES.find(([, claims]) => claims(frame))?.[0];
  };
  const stage = (id) => {
    if (stageOf.has(id)) return stageOf.get(id);
    let found;
    for (let at = id; at !== undefined && found === undefined; at = parent.get(at))
      found = frameStage(byId.get(at));
    stageOf.set(id, found ?? NODE);
    return stageOf.get(id);
  };
  const totals = {};
  let at = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    at += delta;
    if (at < fromUs) return;
    const name = stage(id);
    totals[name] = (totals[name] ?? 0) + delta;
  });
  delete totals.idle;
  return totals;
}

/** An upstream that answers 202 at once, in this process (the profiled server is the other one). */
async function startUpstream() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(202, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function profileVariant(variant, upstreamUrl) {
  const dir = mkdtempSync(join(tmpdir(), 'postern-stages-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const spawned = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      '--cpu-prof-interval=200',
      // --cpu-prof writes the profile on a normal exit only.
      '--import',
      "data:text/javascript,process.once('SIGTERM',()=>process.exit(0))",
      join(here, 'servers', 'node.mjs'),
    ],
    {
      env: { ...process.env, PORT: String(port), UPSTREAM: upstreamUrl, VARIANT: variant },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => chunk.toString().includes('listening') && resolve());
    child.once('exit', (code) => reject(new Error(`node.mjs (${variant}) exited with ${code}`)));
  });
  const load = (duration) =>
    autocannon({
      url: `http://127.0.0.1:${port}/debugbundle/browser`,
      method: 'POST',
      headers: { origin: 'https://app.example', 'content-type': 'application/json' },
      connections: CONNECTIONS,
      duration,
      requests: [{ setupRequest: (request) => ({ ...request, body: freshBatch() }) }],
    });
  await load(WARMUP_SECONDS);
  // The profile's clock starts with the process, close to the spawn: samples before this are the warm-up's.
  const profiledFromUs = (performance.now() - spawned) * 1000;
  const result = await load(SECONDS);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  const requests = result.requests.total;
  const statuses = Object.keys(result.statusCodeStats ?? {}).join(', ');
  const perRequest = Object.fromEntries(
    Object.entries(attribute(profile, profiledFromUs)).map(([stage, us]) => [stage, us / requests]),
  );
  return { requests, statuses, perRequest };
}

const upstream = await startUpstream();
const upstreamUrl = `http://127.0.0.1:${upstream.address().port}/v1/events`;
const relay = await profileVariant('relay', upstreamUrl);
const bare = await profileVariant('bare-undici', upstreamUrl);
upstream.close();

const BUDGET_HEADING = '## Cost budget per stage of the forward path';
const names = [...STAGES.map(([name]) => name), NODE, GC, NATIVE];
const total = (side) => Object.values(side.perRequest).reduce((sum, us) => sum + us, 0);
const fmt = (us) => (us === undefined || us < 0.05 ? '–' : us.toFixed(1));
const lines = [
  `# ${BUDGET_HEADING.slice(3)} (${new Date().toISOString().slice(0, 10)})`,
  '',
  `The node:http relay (\`@postern/node\`) and the bare undici route (parse, forward with undici's \`request\`), each under ${SECONDS} s of load after ${WARMUP_SECONDS} s of warm-up whose samples are left out (${CONNECTIONS} connections, realistic 4.5 KB batches with fresh event ids), with V8's sampling profiler on (200 µs interval). Each sample is charged to the stage of the innermost frame that belongs to one: Postern's frames through source maps to \`packages/*/src\`, \`JSON.parse\` by name, the bare route's own code apart, undici's frames as transport; a sample with none of those above it is Node's own HTTP work. Main-thread time per request, so profiler overhead inflates both sides alike. Reproduce: \`node bench/stage-budget.mjs\` after \`npm run build\`.`,
  '',
  `| stage | relay µs/req | bare µs/req | relay share |`,
  '|---|---:|---:|---:|',
  ...names.map(
    (name) =>
      `| ${name} | ${fmt(relay.perRequest[name])} | ${fmt(bare.perRequest[name])} | ${relay.perRequest[name] ? `${((100 * relay.perRequest[name]) / total(relay)).toFixed(1)} %` : '–'} |`,
  ),
  `| **total** | **${total(relay).toFixed(1)}** | **${total(bare).toFixed(1)}** | 100 % |`,
  '',
  `Requests: relay ${relay.requests} (${relay.statuses}), bare ${bare.requests} (${bare.statuses}).`,
  '',
  "Where a target of `npm run bench` is missed, this is the profile that shows why; the README's Performance section says what meeting it would take.",
  '',
];
writeFileSync(join(here, 'results', 'stage-budget.md'), lines.join('\n'));
writeFileSync(
  join(here, 'results', 'stage-budget.json'),
  `${JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, relay, bare }, null, 2)}\n`,
);
// The same table closes bench/results/latest.md, so one file has the figures and the profile behind them.
const LATEST = join(here, 'results', 'latest.md');
if (existsSync(LATEST)) {
  const figures = readFileSync(LATEST, 'utf8').split(`\n${BUDGET_HEADING}`)[0].trimEnd();
  writeFileSync(LATEST, `${figures}\n\n${lines.join('\n').replace(/^# /, '## ')}`);
}
console.log(lines.join('\n'));
