import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadContract, renderConsole, runConformance } from '@postern/conformance';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, exampleTargets } from '../targets.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The code block that follows `<!-- example: <path> -->` in a README. */
function snippetAfterMarker(readme: string, path: string): string | undefined {
  const marker = readme.indexOf(`<!-- example: ${path} -->`);
  if (marker === -1) return undefined;
  return /```(?:js|ts)\n([\s\S]*?)```/.exec(readme.slice(marker))?.[1];
}

describe('examples', () => {
  it.each(EXAMPLES)('the @postern/%s README shows exactly the code its example runs', async (name) => {
    const path = `examples/${name}/app.mjs`;
    const [readme, source] = await Promise.all([readFile(join(root, 'packages', name, 'README.md'), 'utf8'), readFile(join(root, path), 'utf8')]);
    expect(snippetAfterMarker(readme, path), `packages/${name}/README.md has no snippet marked for ${path}`).toBe(source);
  });

  it('every example passes every fixture as a separate process (black-box mode)', async () => {
    const contract = await loadContract();
    const result = await runConformance({ targets: exampleTargets() });
    expect(result.summary.total).toBe(contract.cases.length * EXAMPLES.length);
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);
  }, 180_000);
});
