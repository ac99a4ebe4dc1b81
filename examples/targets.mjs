// The examples as conformance targets: each is started as its own process per profile, exactly as a
// relay in another language would be (black-box mode). Next.js and SvelteKit run their production builds
// (`npm run build` in their folder, which `turbo run build` does and caches), never a dev server.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandTarget, freePort, waitForPort } from '@postern/conformance';
import { startVercelEdge } from './edge-runtime.mjs';
import { bundleWorker, startCloudflareEdge, startWorkerd } from './workerd.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const node = `"${process.execPath}"`;
// Bun and Deno come from their packages on npm (root devDependencies), never from the machine.
const bin = (name) => `"${join(here, '..', 'node_modules', '.bin', name)}"`;

/** How each example starts once built, from its own folder; PORT and HOST come from the runner. */
const START_COMMANDS = {
  node: `${node} server.mjs`,
  express: `${node} server.mjs`,
  fastify: `${node} server.mjs`,
  hono: `${node} server.mjs`,
  next: `${node} "${createRequire(join(here, 'next', 'package.json')).resolve('next/dist/bin/next')}" start -H 127.0.0.1`,
  'next-edge': `${node} "${createRequire(join(here, 'next-edge', 'package.json')).resolve('next/dist/bin/next')}" start -H 127.0.0.1`,
  sveltekit: `${node} build`,
  bun: `${bin('bun')} server.mjs`,
  // What the relay needs from Deno's permissions: the network, its environment, the spool directory
  // (durable and local-only delivery) and the host name (the spool's claim names it).
  deno: `${bin('deno')} run --allow-net --allow-env --allow-read --allow-write --allow-sys=hostname server.mjs`,
};

/**
 * What an example's own framework needs in its environment. adapter-node refuses bodies over its
 * BODY_SIZE_LIMIT (512 kB by default) before SvelteKit runs, which would cut Sentry envelopes (up to 20 MiB):
 * the engine caps every body itself, so the framework's limit is lifted, as the @postern/sveltekit README says.
 */
const START_ENV = {
  next: { NEXT_TELEMETRY_DISABLED: '1' },
  'next-edge': { NEXT_TELEMETRY_DISABLED: '1' },
  sveltekit: { BODY_SIZE_LIMIT: 'Infinity' },
};

/** The adapters' examples, one per package (packages/<name>). */
export const EXAMPLES = ['node', 'express', 'fastify', 'hono', 'next', 'sveltekit'];
/**
 * The Web runtimes, each running @postern/core's Web handler: examples/bun, examples/deno, examples/worker
 * (in workerd), examples/vercel-edge (in edge-runtime) and examples/next-edge (@postern/next's routes with
 * `runtime = 'edge'`, a production build under `next start`).
 */
export const RUNTIMES = ['bun', 'deno', 'workerd', 'vercel-edge', 'next-edge'];

export function exampleTargets(names = EXAMPLES) {
  return names.map((name) =>
    commandTarget({
      name,
      command: START_COMMANDS[name],
      cwd: join(here, name),
      env: START_ENV[name] ?? {},
      ...(NOT_APPLICABLE[name] ? { notApplicable: NOT_APPLICABLE[name] } : {}),
    }),
  );
}

// The standalone relay (`postern serve`, packages/cli) as one more black-box target. Add
// `standaloneTarget()` to a target list to include it. For the browser protocol the profile JSON the runner
// passes in POSTERN_PROFILE is the whole configuration (--config-env). For the Sentry tunnel it is the
// `tunnel:` mapping (--tunnel-config-env), and the browser relay that always runs beside it is configured
// from the environment in local-only mode, so it needs no token and no upstream: its events directory, in
// the system's temp directory, is only created by a first batch, which tunnel cases never send.
export function standaloneTarget() {
  const bin = join(here, '..', 'packages', 'cli', 'bin', 'postern.mjs');
  const serve = `"${process.execPath}" "${bin}" serve --host "$HOST" --port "$PORT"`;
  const env = { POSTERN_LOG_LEVEL: 'warn' };
  const browser = commandTarget({
    name: 'standalone',
    command: `${serve} --config-env POSTERN_PROFILE`,
    env,
  });
  const tunnel = commandTarget({
    name: 'standalone',
    command: `${serve} --tunnel-config-env POSTERN_PROFILE`,
    env: {
      ...env,
      POSTERN_PROJECT_MODE: 'local-only',
      POSTERN_LOCAL_EVENTS_DIR: join(tmpdir(), 'postern-standalone-tunnel-events'),
    },
  });
  return {
    name: 'standalone',
    start: (config) => (config.protocol === 'sentry-tunnel' ? tunnel : browser).start(config),
  };
}

/**
 * `postern serve` with its spool in Redis (`spoolRedis`), for the durable-delivery cases (SPEC section 16):
 * each profile gets a redis-server of its own on loopback, as it would a fresh spool directory, and the
 * profile whose spool directory cannot be created gets a Redis URL nothing listens on instead. Every other
 * case is the same server as `standalone`, run there.
 */
export function standaloneRedisTarget() {
  const bin = join(here, '..', 'packages', 'cli', 'bin', 'postern.mjs');
  const serve = `"${process.execPath}" "${bin}" serve --host "$HOST" --port "$PORT"`;
  return {
    name: 'standalone-redis',
    notApplicable: {
      '/^(?!browser\\/16\\/)/':
        'this row runs the durable-delivery cases (section 16) on the Redis spool; the rest run on standalone',
    },
    async start(config) {
      const port = await freePort();
      const redis =
        config.profile === 'spool-unwritable'
          ? undefined
          : spawn(
              'redis-server',
              ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
              {
                stdio: 'ignore',
              },
            );
      const stopRedis = () => redis?.exitCode === null && redis.kill('SIGKILL');
      try {
        if (redis)
          await waitForPort(port, 10_000, () =>
            redis.exitCode === null ? undefined : 'redis-server exited',
          );
        const running = await commandTarget({
          name: 'standalone-redis',
          command: `${serve} --config-env POSTERN_PROFILE`,
          env: { POSTERN_LOG_LEVEL: 'warn', POSTERN_SPOOL_REDIS: `redis://127.0.0.1:${port}` },
        }).start(config);
        return {
          url: running.url,
          async close() {
            await running.close();
            stopRedis();
          },
        };
      } catch (error) {
        stopRedis();
        throw error;
      }
    },
  };
}

/**
 * What cannot apply on a Web runtime without a filesystem: the spool of durable delivery and the files of
 * local-only mode (createBrowserRelay refuses both there at construction).
 */
const NO_FILESYSTEM =
  'no filesystem on this runtime: durable and local-only delivery are refused at construction';
const NO_FILESYSTEM_PROFILES = {
  durable: NO_FILESYSTEM,
  'durable-full': NO_FILESYSTEM,
  'spool-unwritable': NO_FILESYSTEM,
  'local-only': NO_FILESYSTEM,
};
/**
 * Vercel's Edge runtime has no `DecompressionStream` either: the tunnel refuses gzip and deflate envelopes
 * there with 415 (SPEC section 22), so the cases that send one cannot apply.
 */
const NO_DECOMPRESSION =
  'no DecompressionStream in this runtime: gzip and deflate envelopes are refused 415 unsupported_media_type (SPEC section 22)';
const ENCODED_CASES = [
  'tunnel/22/4',
  'tunnel/22/5',
  'tunnel/22/6',
  'tunnel/22/7',
  'tunnel/22/11',
  'tunnel/22/12',
];
const EDGE_RUNTIME_NOT_APPLICABLE = {
  ...NO_FILESYSTEM_PROFILES,
  ...Object.fromEntries(ENCODED_CASES.map((id) => [id, NO_DECOMPRESSION])),
};

/** A Web runtime's example: its entry bundled once, then served per profile with the profile as its environment. */
function bundledTarget({ name, entry, format, notApplicable, serve }) {
  let code;
  return {
    name,
    notApplicable,
    async start(config) {
      code ??= bundleWorker(join(here, entry), {}, format);
      const running = await serve(await code, {
        POSTERN_PROTOCOL: config.protocol,
        POSTERN_PROFILE: JSON.stringify(config.options),
      });
      return { url: `${running.base}${config.route}`, close: () => running.stop() };
    },
  };
}

/**
 * Next.js's Edge runtime (a route with `export const runtime = 'edge'`) has neither, as Vercel's. And under
 * `next start` an Edge route's answer reaches the client only once the request body has ended, so the cases
 * that look for a refusal while the body is still being sent cannot see one there (the same engine answers
 * them early on Node, Next.js's Node runtime, workerd and edge-runtime).
 */
const ANSWER_AFTER_BODY =
  "next start answers an Edge route only after the request body has ended, so a refusal while it is still sent can't be seen";
const NOT_APPLICABLE = {
  'next-edge': {
    ...EDGE_RUNTIME_NOT_APPLICABLE,
    ...Object.fromEntries(
      ['browser/6/5', 'browser/8/4', 'browser/8/5', 'tunnel/22/2', 'tunnel/22/3'].map((id) => [
        id,
        ANSWER_AFTER_BODY,
      ]),
    ),
  },
};

const RUNTIME_TARGETS = {
  // The Worker example's handler inside workerd, Cloudflare's runtime, bundled as Wrangler would, the profile
  // as bindings, behind a stand-in for Cloudflare's edge that sets CF-Connecting-IP from the TCP peer.
  workerd: () =>
    bundledTarget({
      name: 'workerd',
      entry: 'worker/src/conformance.js',
      format: 'esm',
      notApplicable: NO_FILESYSTEM_PROFILES,
      async serve(code, env) {
        const worker = await startWorkerd(code, env);
        const edge = await startCloudflareEdge(worker.base);
        return {
          base: edge.base,
          async stop() {
            await edge.stop();
            await worker.stop();
          },
        };
      },
    }),
  // The Vercel Edge Function example's handler in edge-runtime, the profile as its process.env, behind a
  // stand-in for Vercel's edge that sets X-Real-IP from the TCP peer.
  'vercel-edge': () =>
    bundledTarget({
      name: 'vercel-edge',
      entry: 'vercel-edge/conformance.js',
      format: 'iife',
      notApplicable: EDGE_RUNTIME_NOT_APPLICABLE,
      serve: startVercelEdge,
    }),
};

export function runtimeTargets(names = RUNTIMES) {
  return names.map((name) => RUNTIME_TARGETS[name]?.() ?? exampleTargets([name])[0]);
}
