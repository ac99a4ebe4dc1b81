import type * as SpoolModule from '../spool/index.js';

// The Web build's stand-in for spool-loader.ts: no filesystem, and no dynamic import for a bundler or
// Miniflare to refuse. chooseDelivery asks spoolUnavailableReason first, so loadSpoolModule is never called.
export function loadSpoolModule(): Promise<typeof SpoolModule> {
  return Promise.reject(new TypeError('the Web build of @postern/core has no spool'));
}

export function spoolUnavailableReason(): string | undefined {
  return 'the Web build of @postern/core, for Workers and Edge runtimes, has no filesystem';
}
