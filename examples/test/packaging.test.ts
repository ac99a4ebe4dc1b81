// The published packages as users get them: `npm pack` each one, lint the tarballs (publint, Are the Types
// Wrong?), install them into a fresh app outside the workspace next to the real frameworks, and pass a
// smoke request through every adapter mounted there.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { publint } from 'publint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

interface Manifest {
  name: string;
  private?: boolean;
  sideEffects?: boolean;
  files?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  exports?: Record<string, { import?: { types?: string }; require?: { types?: string } } | string>;
}

async function manifest(dir: string): Promise<Manifest> {
  return JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** Every workspace package that is not private: what `changeset publish` would publish. */
async function publishedPackages(): Promise<{ dir: string; manifest: Manifest }[]> {
  const dirs = [
    ...(await readdir(join(root, 'packages'), { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(root, 'packages', entry.name)),
    join(root, 'conformance'),
  ];
  const all = await Promise.all(dirs.map(async (dir) => ({ dir, manifest: await manifest(dir) })));
  return all.filter((entry) => entry.manifest.private !== true);
}

/** The framework each adapter is mounted on, and the packages that takes; versions come from the examples. */
const FRAMEWORKS: Record<string, string[]> = {
  node: [],
  express: ['express'],
  fastify: ['fastify'],
  hono: ['hono', '@hono/node-server'],
  next: ['next', 'react', 'react-dom'],
  sveltekit: ['@sveltejs/kit', 'svelte', 'vite', '@sveltejs/vite-plugin-svelte'],
};

/** The child's environment without the npm_* variables of the `npm test` running us, so npm sees only the fresh app. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')),
  );
}

async function exampleVersions(): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const name of Object.keys(FRAMEWORKS)) {
    const example = await manifest(join(root, 'examples', name));
    Object.assign(versions, example.devDependencies, example.dependencies);
  }
  return versions;
}

interface SmokeResult {
  name: string;
  status: number;
  body: { accepted?: number; rejected?: number };
  delivered: number;
  cjsExports: string[];
}

let work: string;
const tarballs = new Map<string, string>();
const smoke = new Map<string, SmokeResult>();
const published = await publishedPackages();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'postern-packaging-'));
  const packed = join(work, 'tarballs');
  await mkdir(packed);
  for (const { dir, manifest } of published) {
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', packed], {
      cwd: dir,
      env: cleanEnv(),
    });
    const [{ filename }] = JSON.parse(stdout) as [{ filename: string }];
    tarballs.set(manifest.name, join(packed, filename));
  }

  const app = join(work, 'app');
  await mkdir(app);
  const versions = await exampleVersions();
  const dependencies: Record<string, string> = {};
  for (const [name, tarball] of tarballs) dependencies[name] = `file:${tarball}`;
  for (const name of Object.values(FRAMEWORKS).flat())
    dependencies[name] = versions[name] as string;
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify(
      { name: 'postern-packaging-smoke', private: true, type: 'module', dependencies },
      null,
      2,
    ),
  );
  await run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      '--loglevel=error',
    ],
    { cwd: app, env: cleanEnv() },
  );

  await copyFile(join(root, 'examples', 'test', 'packaging', 'smoke.mjs'), join(app, 'smoke.mjs'));
  const { stdout } = await run(process.execPath, ['smoke.mjs'], { cwd: app, env: cleanEnv() });
  for (const line of stdout.trim().split('\n')) {
    const result = JSON.parse(line) as SmokeResult;
    smoke.set(result.name, result);
  }
}, 300_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('published packages', () => {
  it('include every adapter', () => {
    const names = published.map(({ manifest }) => manifest.name);
    for (const adapter of Object.keys(FRAMEWORKS)) expect(names).toContain(`@postern/${adapter}`);
  });

  describe.each(published.map(({ manifest }) => [manifest.name, manifest] as const))(
    '%s',
    (name, pkg) => {
      it('declares typed entry points (CommonJS ones included where it offers require), a README and no side effects', () => {
        const entry = pkg.exports?.['.'];
        expect(typeof entry, 'exports["."] is a map of conditions').toBe('object');
        const conditions = entry as Record<string, unknown> & {
          import?: { types?: string };
          require?: { types?: string };
          types?: string;
        };
        expect(conditions.import?.types ?? conditions.types, 'types for import').toMatch(
          /\.d\.ts$/,
        );
        if ('require' in conditions)
          expect(conditions.require?.types, 'types for require').toMatch(/\.d\.cts$/);
        expect(pkg.files).toContain('README.md');
        expect(pkg.sideEffects).toBe(false);
      });

      it('is clean under publint --strict', async () => {
        const tarball = await readFile(tarballs.get(name) as string);
        const { messages } = await publint({
          pack: {
            tarball: tarball.buffer.slice(
              tarball.byteOffset,
              tarball.byteOffset + tarball.byteLength,
            ),
          },
          strict: true,
        });
        expect(messages).toEqual([]);
      });

      it('is clean under Are the Types Wrong?', async () => {
        const attw = join(
          dirname(require.resolve('@arethetypeswrong/cli/package.json')),
          'dist',
          'index.js',
        );
        // node16 covers Node and bundlers; the node10 column (TypeScript's legacy resolution, which ignores
        // `exports`) cannot see subpath exports. A package without a require condition is ESM-only on purpose.
        const profile =
          typeof pkg.exports?.['.'] === 'object' && 'require' in pkg.exports['.']
            ? 'node16'
            : 'esm-only';
        await expect(
          run(
            process.execPath,
            [attw, tarballs.get(name) as string, '--profile', profile, '--format', 'ascii'],
            { env: cleanEnv() },
          ),
        ).resolves.toBeDefined();
      });
    },
  );

  it.each(
    Object.entries(FRAMEWORKS).flatMap(([adapter, [framework]]) =>
      framework ? [[adapter, framework]] : [],
    ),
  )('@postern/%s has %s as a peer dependency', async (adapter, framework) => {
    const pkg = await manifest(join(root, 'packages', adapter));
    expect(Object.keys(pkg.peerDependencies ?? {})).toContain(framework);
  });

  it.each(Object.keys(FRAMEWORKS))(
    '@postern/%s installs from its tarball, mounts on its framework and relays a batch',
    (adapter) => {
      const result = smoke.get(adapter);
      expect(result, `no smoke result for ${adapter}`).toBeDefined();
      expect(result).toMatchObject({
        status: 202,
        body: { accepted: 1, rejected: 0 },
        delivered: 1,
      });
      expect(result?.cjsExports.length).toBeGreaterThan(0);
    },
  );
});
