// The examples as conformance targets: each is started as its own process per profile, exactly as a
// relay in another language would be (black-box mode). Next.js and SvelteKit run their production builds
// (`npm run build` in their folder, which `turbo run build` does and caches), never a dev server.
import { createRequire } from 'node:module';
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

export const EXAMPLES = Object.keys(START_COMMANDS);

export function exampleTargets(names = EXAMPLES) {
  return names.map((name) =>
    commandTarget({ name, command: START_COMMANDS[name], cwd: join(here, name), env: { NEXT_TELEMETRY_DISABLED: '1' } }),
  );
}

// The standalone relay (`postern serve`, packages/cli) as one more black-box target: it reads the
// profile JSON the runner passes in POSTERN_PROFILE. Add `standaloneTarget()` to a target list to include it.
export function standaloneTarget() {
  const bin = join(here, '..', 'packages', 'cli', 'bin', 'postern.mjs');
  return commandTarget({ name: 'standalone', command: `"${process.execPath}" "${bin}" serve --config-env POSTERN_PROFILE --host "$HOST" --port "$PORT"`, env: { POSTERN_LOG_LEVEL: 'warn' } });
}
