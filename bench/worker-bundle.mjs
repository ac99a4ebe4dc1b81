// The size of @postern/core's main entry as a Cloudflare Worker ships it: both engines bundled with
// esbuild for a Web runtime, minified, then gzip-compressed (what the platform's size limit counts).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleWorker } from '../examples/workerd.mjs';

const core = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'packages',
  'core',
  'dist',
  'web.js',
);

export async function workerBundleSize() {
  const code = Buffer.from(
    await bundleWorker({
      contents: `export { createBrowserRelay, createTunnel } from ${JSON.stringify(core)};`,
      resolveDir: dirname(core),
    }),
  );
  return { minifiedBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await workerBundleSize());
