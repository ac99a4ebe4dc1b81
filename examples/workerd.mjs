// Cloudflare's runtime from the `workerd` package on npm, for the tests, the bench and the matrix: a
// module-syntax Worker bundled as Wrangler bundles it, then served by `workerd serve` on loopback with
// text bindings and outbound fetch allowed to loopback (where the upstreams under test listen).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer as createNetServer } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { freePort, waitForPort } from '@postern/conformance';

const workerd = createRequire(import.meta.url).resolve('workerd/bin/workerd');

/**
 * Bundles a Worker for a Web runtime: minified, the `worker`/`browser` conditions, no Node built-ins; ESM, or
 * `iife` for a runtime that evaluates a script (edge-runtime), its exports then in `globalThis.edgeFunction`.
 */
export async function bundleWorker(input, alias = {}, format = 'esm') {
  const entry =
    typeof input === 'string' ? { entryPoints: [input] } : { stdin: { ...input, loader: 'js' } };
  const result = await build({
    ...entry,
    bundle: true,
    minify: true,
    format,
    ...(format === 'iife' ? { globalName: 'edgeFunction' } : {}),
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['worker', 'browser'],
    alias,
    // The runtime's own modules (`cloudflare:workers`), as Wrangler leaves them.
    external: ['cloudflare:*'],
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
  const bindingList = Object.entries(bindings).map(
    ([name, text]) => `(name = ${capnpText(name)}, text = ${capnpText(text)})`,
  );
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
  const child = spawn(workerd, ['serve', join(dir, 'config.capnp')], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
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

/**
 * What Cloudflare's edge does in front of a Worker, as far as the client's address goes: the request is
 * passed on with `CF-Connecting-IP` set to the TCP peer, whatever the client sent in that header
 * (developers.cloudflare.com/fundamentals/reference/http-headers/). Everything else goes through byte for
 * byte, framing included, one request per connection (`Connection: close`, so no later request on it could
 * pass unrewritten). Listens on a free loopback port, or `port`.
 */
export async function startCloudflareEdge(origin, port = 0) {
  const { hostname, port: originPort } = new URL(origin);
  const server = createNetServer((client) => {
    let head = Buffer.alloc(0);
    client.on('error', () => client.destroy());
    const readHead = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return head.length > 65_536 ? client.destroy() : undefined;
      client.off('data', readHead);
      client.pause();
      const lines = head.subarray(0, end).toString('latin1').split('\r\n');
      const [requestLine, ...fields] = lines;
      const kept = fields.filter((line) => !/^(cf-connecting-ip|connection)\s*:/i.test(line));
      const rewritten = [
        requestLine,
        ...kept,
        `CF-Connecting-IP: ${client.remoteAddress}`,
        'Connection: close',
        '',
        '',
      ].join('\r\n');
      // The body is passed on in bursts: what arrived until the client paused (or ended) goes in one write,
      // as a client writing straight to workerd would send it. Streamed piece by piece, a write could meet
      // the close workerd makes right after answering a body it will not read (413), and the answer
      // waiting in the socket would be lost with it.
      let pending = [head.subarray(end + 4)];
      let timer;
      let answered = false;
      const flush = () => {
        timer = undefined;
        if (!answered && pending.length > 0) upstream.write(Buffer.concat(pending));
        pending = [];
      };
      const upstream = connect(Number(originPort), hostname, () => {
        upstream.write(Buffer.from(rewritten, 'latin1'));
        flush();
        client.on('data', (chunk) => {
          pending.push(chunk);
          clearTimeout(timer);
          timer = setTimeout(flush, 20);
        });
        client.on('end', () => {
          clearTimeout(timer);
          flush();
        });
        client.resume();
      });
      upstream.once('data', () => {
        answered = true;
        clearTimeout(timer);
      });
      upstream.on('error', () => client.end());
      upstream.pipe(client);
    };
    client.on('data', readHead);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
