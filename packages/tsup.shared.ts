import { defineConfig } from 'tsup';

/** One build for every published package: ESM and CommonJS, each with its own type declarations. */
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
});
