import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';
import shared from '../tsup.shared.js';

const { version } = JSON.parse(
  readFileSync(new URL('./package.json', import.meta.url), 'utf8'),
) as { version: string };

// A browser library: ESM only, for browsers rather than Node, with the package version baked in as
// `sdk_version` (so a `changeset version` bump needs no source edit).
export default defineConfig({
  ...shared,
  format: ['esm'],
  platform: 'browser',
  target: 'es2020',
  define: { __POSTERN_BROWSER_VERSION__: JSON.stringify(version) },
});
