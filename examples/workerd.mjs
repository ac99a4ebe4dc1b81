// Cloudflare's runtime from the `workerd` package on npm, for the tests, the bench and the matrix: a
// module-syntax Worker bundled as Wrangler bundles it, then served by `workerd serve` on loopback with
// text bindings and outbound fetch allowed to loopback (where the upstreams under test listen).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { freePort, waitForPort } from '@postern/conformance';

const workerd = createRequire(import.meta.url).resolve('workerd/bin/workerd');

/** Bundles a Worker for a Web runtime: ESM, minified, the `worker`/`browser` conditions, no Node built-ins. */
export async function bundleWorker(input, alias = {}) {
  const entry = typeof input === 'string' ? { entryPoints: [input] } : { stdin: { ...input, loader: 'js' } };
  const result = await build({
    ...entry,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['worker', 'browser'],
    alias,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

const capnpText = (value) => JSON.stringify(value);

/** Serves `code` (a bundled Worker) on 127.0.0.1 until `stop()`; `port` defaults to a free one. */
export async function startWorkerd(code, bindings, port) {
  port ??= await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'postern-workerd-'));
  const bindingList = Object.entries(bindings).map(([name, text]) => `(name = ${capnpText(name)}, text = ${capnpText(text)})`);
  await writeFile(join(dir, 'worker.js'), code);
  await writeFile(
    join(dir, 'config.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local", "private", "public"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "worker.js")],
  compatibilityDate = "2025-09-01",
  bindings = [${bindingList.join(', ')}],
  globalOutbound = "loopback",
);
`,
  );
  let stderr = '';
  const child = spawn(workerd, ['serve', join(dir, 'config.capnp')], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr.on('data', (chunk) => (stderr += chunk.toString()));
  let exited;
  child.on('exit', (code, signal) => (exited = `workerd exited (${signal ?? code}): ${stderr}`));
  await waitForPort(port, 20_000, () => exited);
  return {
    base: `http://127.0.0.1:${port}`,
    stderr: () => stderr,
    async stop() {
      if (exited === undefined) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await gone;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
