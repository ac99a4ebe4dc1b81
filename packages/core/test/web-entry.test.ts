import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** The modules a built file imports statically (ESM `import … from` / CommonJS `require(…)`). */
function staticImports(code: string): string[] {
  const found = [
    ...code.matchAll(/^import\s[^'"]*?from\s*["']([^"']+)["']/gm),
    ...code.matchAll(/^import\s*["']([^"']+)["']/gm),
    ...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g),
  ];
  return found.map((match) => match[1] as string);
}

// Web-runtime adapters (Next.js, Hono, SvelteKit) import the main entry: it must not pull in node:fs or any
// other Node built-in; the spool code lives in the separate `@postern/core/spool` entry.
describe('the main entry of the build', () => {
  it.each(['index.js', 'index.cjs'])('%s imports no Node built-in statically', async (file) => {
    const imports = staticImports(await readFile(join(dist, file), 'utf8'));
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((name) => builtins.has(name))).toEqual([]);
  });

  it('while the spool entry is where the filesystem code is', async () => {
    expect(staticImports(await readFile(join(dist, 'spool.js'), 'utf8'))).toContain('fs/promises');
  });
});
