import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadContract,
  renderConsole,
  runConformance,
  type RelayTarget,
} from '@postern/conformance';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, RUNTIMES, exampleTargets, runtimeTargets } from '../targets.mjs';
import { exampleSnippet, snippetAfterMarker } from './snippets.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * What each example mounts its relay and its Sentry tunnel with, which its package README must show verbatim:
 * a file (`path`), or the region of it a user copies (`path#region`, between `// #region` and
 * `// #endregion`). Where one snippet mounts both, it shows both.
 */
const MOUNT_FILES: Record<string, string[]> = {
  node: ['examples/node/app.mjs#readme'],
  express: ['examples/express/app.mjs#readme'],
  fastify: ['examples/fastify/app.mjs#readme'],
  hono: ['examples/hono/app.mjs#readme'],
  next: [
    'examples/next/app/debugbundle/browser/route.ts',
    'examples/next/lib/postern.ts#readme',
    'examples/next/app/postern/tunnel/route.ts',
    'examples/next/app/[tunnel]/route.ts',
    'examples/next/app/monitoring/[tunnel]/route.ts',
  ],
  sveltekit: [
    'examples/sveltekit/src/routes/debugbundle/browser/+server.ts',
    'examples/sveltekit/src/lib/server/postern.ts#readme',
    'examples/sveltekit/src/hooks.server.ts',
  ],
};

/** The export each adapter mounts the tunnel with, which one of the README's example snippets must use. */
const TUNNEL_EXPORTS: Record<string, string> = {
  node: 'posternTunnel(',
  express: 'posternTunnel(',
  fastify: 'posternTunnel,',
  hono: 'posternTunnel(',
  next: 'posternTunnel(',
  sveltekit: 'posternTunnelHandle(',
};

describe('examples', () => {
  it('every example has a mount file', () => {
    expect(Object.keys(MOUNT_FILES).sort()).toEqual([...EXAMPLES].sort());
  });

  it.each(EXAMPLES)(
    'the @postern/%s README shows exactly the code its example runs, the Sentry tunnel mount included',
    async (name) => {
      const readme = await readFile(join(root, 'packages', name, 'README.md'), 'utf8');
      const snippets: string[] = [];
      for (const spec of MOUNT_FILES[name] as string[]) {
        const source = await exampleSnippet(root, spec);
        const snippet = snippetAfterMarker(readme, spec);
        expect(snippet, `packages/${name}/README.md has no snippet marked for ${spec}`).toBe(
          source,
        );
        snippets.push(source);
      }
      expect(readme).toContain('## Sentry tunnel');
      expect(readme).toContain(
        "Sentry.init({ dsn: 'https://0123abcd@o1.ingest.sentry.io/42', tunnel: '/postern/tunnel' })",
      );
      // The managed paths (Sentry.init({ tunnel: true })): how this adapter serves them.
      expect(readme).toContain(
        "Sentry.init({ dsn: 'https://0123abcd@o1.ingest.sentry.io/42', tunnel: true })",
      );
      expect(readme).toContain('managedPaths: true');
      expect(
        snippets.some((source) => source.includes(TUNNEL_EXPORTS[name] as string)),
        `no example snippet in packages/${name}/README.md mounts the tunnel`,
      ).toBe(true);
    },
  );

  it.each([
    ['examples/bun/app.mjs', 'core'],
    ['examples/deno/app.mjs', 'core'],
    ['examples/next-edge/app/debugbundle/browser/route.ts', 'next'],
  ])('the README shows exactly the code %s runs (@postern/%s)', async (path, name) => {
    const readme = await readFile(join(root, 'packages', name, 'README.md'), 'utf8');
    expect(snippetAfterMarker(readme, path)).toBe(await exampleSnippet(root, path));
  });

  // Next.js and SvelteKit run their production builds (`turbo run build` makes them before the tests).
  it.each(EXAMPLES)(
    'the %s example passes every fixture as a separate process (black-box mode)',
    async (name) => {
      const contract = await loadContract();
      const result = await runConformance({ targets: exampleTargets([name]) });
      expect(result.summary.total).toBe(contract.cases.length);
      expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);
    },
    120_000,
  );

  // Bun and Deno (from npm) run every case, spool included. workerd and edge-runtime have no filesystem, so
  // the profiles of durable and local-only delivery are declared not applicable there, and edge-runtime has
  // no DecompressionStream, so neither are the cases that send gzip or deflate: skipped, each with its reason.
  it.each(RUNTIMES)(
    'the %s example passes every fixture that applies to it',
    async (name) => {
      const contract = await loadContract();
      const [target] = runtimeTargets([name]);
      const declared = target?.notApplicable ?? {};
      const notApplicable = contract.cases.filter(
        (testCase) => testCase.profile in declared || testCase.id in declared,
      ).length;
      if (name === 'bun' || name === 'deno') expect(notApplicable).toBe(0);
      const result = await runConformance({ targets: [target as RelayTarget] });
      expect(result.summary.total).toBe(contract.cases.length);
      expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);
      expect(result.summary.skipped).toBe(notApplicable);
      expect(result.summary.passed).toBe(contract.cases.length - notApplicable);
    },
    120_000,
  );
});
