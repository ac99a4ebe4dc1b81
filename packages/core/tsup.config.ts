import type { Plugin } from 'esbuild';
import { defineConfig } from 'tsup';
import shared from '../tsup.shared.js';

/** Swaps the spool loader for its Web stand-in (src/delivery/spool-loader.web.ts). */
const webSpoolLoader: Plugin = {
  name: 'web-spool-loader',
  setup(build) {
    build.onResolve({ filter: /\/spool-loader\.js$/ }, (args) => ({
      path: `${args.resolveDir}/spool-loader.web.ts`,
    }));
  },
};

// Two entries: the main one stays free of node:fs for Web runtimes; `spool` holds the filesystem code
// (see src/spool/index.ts). And the main entry once more as `web`, for the `workerd`, `worker`, `edge-light`
// and `browser` conditions: the same engine without even the dynamic import that loads the spool on Node,
// which Miniflare (and so `wrangler dev`) refuses. Its types are the main entry's.
// The two builds run at once, so neither cleans dist/: the build script empties it first.
export default defineConfig([
  { ...shared, entry: { index: 'src/index.ts', spool: 'src/spool/index.ts' }, clean: false },
  {
    ...shared,
    entry: { web: 'src/index.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    esbuildPlugins: [webSpoolLoader],
  },
]);
