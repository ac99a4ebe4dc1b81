import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadContract, renderConsole, runConformance } from '@postern/conformance';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, exampleTargets } from '../targets.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The file each example mounts its relay in, which its package README must show verbatim. */
const MOUNT_FILES: Record<string, string> = {
  node: 'examples/node/app.mjs',
  express: 'examples/express/app.mjs',
  fastify: 'examples/fastify/app.mjs',
  hono: 'examples/hono/app.mjs',
  next: 'examples/next/app/debugbundle/browser/route.ts',
  sveltekit: 'examples/sveltekit/src/routes/debugbundle/browser/+server.ts',
};

/** The code block that follows `<!-- example: <path> -->` in a README. */
function snippetAfterMarker(readme: string, path: string): string | undefined {
  const marker = readme.indexOf(`<!-- example: ${path} -->`);
  if (marker === -1) return undefined;
  return /```(?:js|ts)\n([\s\S]*?)```/.exec(readme.slice(marker))?.[1];
}

describe('examples', () => {
  it('every example has a mount file', () => {
    expect(Object.keys(MOUNT_FILES).sort()).toEqual([...EXAMPLES].sort());
  });

  it.each(EXAMPLES)('the @postern/%s README shows exactly the code its example runs', async (name) => {
    const path = MOUNT_FILES[name] as string;
    const [readme, source] = await Promise.all([readFile(join(root, 'packages', name, 'README.md'), 'utf8'), readFile(join(root, path), 'utf8')]);
    expect(snippetAfterMarker(readme, path), `packages/${name}/README.md has no snippet marked for ${path}`).toBe(source);
  });

  // Next.js and SvelteKit run their production builds (`turbo run build` makes them before the tests).
  it.each(EXAMPLES)('the %s example passes every fixture as a separate process (black-box mode)', async (name) => {
    const contract = await loadContract();
    const result = await runConformance({ targets: exampleTargets([name]) });
    expect(result.summary.total).toBe(contract.cases.length);
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);
  }, 120_000);
});
