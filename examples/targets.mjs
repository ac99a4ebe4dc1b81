// The examples as conformance targets: each is started as its own process per profile, exactly as a
// relay in another language would be (black-box mode).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandTarget } from '@postern/conformance';

const here = dirname(fileURLToPath(import.meta.url));

export const EXAMPLES = ['node', 'express', 'fastify'];

export function exampleTargets(names = EXAMPLES) {
  return names.map((name) => commandTarget({ name, command: `"${process.execPath}" server.mjs`, cwd: join(here, name) }));
}
