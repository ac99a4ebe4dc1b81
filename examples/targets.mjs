// The examples as conformance targets: each is started as its own process per profile, exactly as a
// relay in another language would be (black-box mode). Next.js and SvelteKit run their production builds
// (`npm run build` in their folder, which `turbo run build` does and caches), never a dev server.
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandTarget } from '@postern/conformance';

const here = dirname(fileURLToPath(import.meta.url));
const node = `"${process.execPath}"`;

/** How each example starts once built, from its own folder; PORT and HOST come from the runner. */
const START_COMMANDS = {
  node: `${node} server.mjs`,
  express: `${node} server.mjs`,
  fastify: `${node} server.mjs`,
  hono: `${node} server.mjs`,
  next: `${node} "${createRequire(join(here, 'next', 'package.json')).resolve('next/dist/bin/next')}" start -H 127.0.0.1`,
  sveltekit: `${node} build`,
};

/**
 * What an example's own framework needs in its environment. adapter-node refuses bodies over its
 * BODY_SIZE_LIMIT (512 kB by default) before SvelteKit runs, which would cut Sentry envelopes (up to 20 MiB):
 * the engine caps every body itself, so the framework's limit is lifted, as the @postern/sveltekit README says.
 */
const START_ENV = {
  next: { NEXT_TELEMETRY_DISABLED: '1' },
  sveltekit: { BODY_SIZE_LIMIT: 'Infinity' },
};

export const EXAMPLES = Object.keys(START_COMMANDS);

export function exampleTargets(names = EXAMPLES) {
  return names.map((name) => commandTarget({ name, command: START_COMMANDS[name], cwd: join(here, name), env: START_ENV[name] ?? {} }));
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
  const browser = commandTarget({ name: 'standalone', command: `${serve} --config-env POSTERN_PROFILE`, env });
  const tunnel = commandTarget({
    name: 'standalone',
    command: `${serve} --tunnel-config-env POSTERN_PROFILE`,
    env: { ...env, POSTERN_PROJECT_MODE: 'local-only', POSTERN_LOCAL_EVENTS_DIR: join(tmpdir(), 'postern-standalone-tunnel-events') },
  });
  return { name: 'standalone', start: (config) => (config.protocol === 'sentry-tunnel' ? tunnel : browser).start(config) };
}
