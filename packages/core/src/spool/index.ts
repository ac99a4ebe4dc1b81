/**
 * `@postern/core/spool`: everything that touches the filesystem. It is a separate entry so that the main
 * entry, which Web-runtime adapters (Next.js, Hono, SvelteKit) import, never pulls `node:fs` into their
 * bundles; `createBrowserRelay` loads this module only when the options ask for durable or local-only delivery.
 */
export {
  claimLeaseMs,
  createSpoolDelivery,
  type SpoolDelivery,
  type SpoolDeliveryOptions,
} from './spool-delivery.js';
export { createLocalDelivery, type LocalDeliveryOptions } from './local-delivery.js';
export {
  openFileSpool,
  RETENTION,
  SpoolSerializationError,
  type Claim,
  type FileSpool,
  type FileSpoolOptions,
  type PruneResult,
  type RetentionPolicy,
  type SpoolEntry,
  type SpoolStats,
} from './file-spool.js';
export {
  createRedeliveryWorker,
  type RedeliveryOptions,
  type RedeliveryWorker,
} from './redelivery.js';
export { attemptEvent } from './attempt.js';
export { backoffDelay, retryAfterMs } from './backoff.js';
export { parseEntryName, type EntryName, type EntryState } from './layout.js';
