import type * as SpoolModule from '../spool/index.js';

// A specifier bundlers cannot follow, so a Web bundle of the main entry never contains node:fs; on Node
// the package resolves its own export (`exports["./spool"]`), ESM or CommonJS alike. The Web build
// (`dist/web.js`, what the `workerd`, `worker`, `edge-light` and `browser` conditions resolve to) takes
// spool-loader.web.ts instead, which has no import() at all: Miniflare refuses a bundle with one.
const SPOOL_MODULE = '@postern/core/spool';

export function loadSpoolModule(): Promise<typeof SpoolModule> {
  return import(/* webpackIgnore: true */ /* @vite-ignore */ SPOOL_MODULE) as Promise<
    typeof SpoolModule
  >;
}

/** Why the spool cannot run here, or undefined where it can (Node, and Bun and Deno with their Node APIs). */
export function spoolUnavailableReason(): string | undefined {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string'
    ? undefined
    : 'this runtime has no Node APIs';
}
