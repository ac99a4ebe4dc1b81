import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The installed `@sentry/browser` version, read from the package itself. */
export async function sentryVersion(): Promise<string> {
  const require = createRequire(join(root, 'package.json'));
  const manifest = JSON.parse(
    await readFile(require.resolve('@sentry/browser/package.json'), 'utf8'),
  ) as { version: string };
  return manifest.version;
}

/**
 * `@sentry/browser` ships only ESM/CJS on npm (no CDN bundles in `build/bundles/` any more), so the page's
 * script is built here from the installed package with esbuild: the whole public API as one IIFE that
 * sets `window.Sentry`, like the CDN's tracing + replay bundle. Production build of the SDK (the exports
 * map's `default` condition), minified.
 */
export async function buildSdkBundle(): Promise<string> {
  const result = await build({
    stdin: {
      contents: "export * from '@sentry/browser';",
      resolveDir: root,
      sourcefile: 'sentry-entry.js',
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    globalName: 'Sentry',
    platform: 'browser',
    target: 'chrome120',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild produced no bundle for @sentry/browser');
  return file.text;
}

export interface PageOptions {
  dsn: string;
  /** A tunnel URL, or `true`: the same-origin path the SDK derives from the DSN (SDK 11.10+). */
  tunnel: string | true;
  sdkPath: string;
}

/**
 * The app's page: the SDK from the same origin, initialised with `tunnel`, tracing and session replay
 * sampled at 100 %. `minReplayDuration: 0` lets a test flush the replay's first segment right away instead
 * of waiting the default 5 s; nothing else departs from a production setup.
 */
export function pageHtml(options: PageOptions): string {
  const config = JSON.stringify({ dsn: options.dsn, tunnel: options.tunnel });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Postern tunnel e2e</title>
<script src="${options.sdkPath}"></script>
<script>
  const config = ${config};
  Sentry.init({
    dsn: config.dsn,
    tunnel: config.tunnel,
    release: 'postern-e2e@1.0.0',
    environment: 'e2e',
    tracesSampleRate: 1,
    replaysSessionSampleRate: 1,
    replaysOnErrorSampleRate: 1,
    integrations: [
      Sentry.browserTracingIntegration(),
      Sentry.replayIntegration({ minReplayDuration: 0, maskAllText: false, blockAllMedia: false }),
    ],
  });
</script>
</head>
<body>
<h1>Checkout</h1>
<p id="status">idle</p>
<button id="pay" onclick="document.getElementById('status').textContent = 'paid ' + Date.now(); const li = document.createElement('li'); li.textContent = 'order ' + Math.random(); document.getElementById('orders').appendChild(li);">Pay</button>
<ul id="orders"></ul>
</body>
</html>
`;
}
