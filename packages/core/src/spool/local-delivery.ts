import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Delivery } from '../delivery/delivery.js';
import type { RelayLogger } from '../options.js';
import { TMP_DIR, writeFileDurably } from './atomic-write.js';
import { newEntryId } from './layout.js';

export interface LocalDeliveryOptions {
  localEventsDir: string;
  logger?: RelayLogger;
}

/**
 * Local-only mode: each accepted batch becomes one indented JSON file, `<received ms>-<hex>.json`, in
 * `localEventsDir`, for a person or a local tool to read. Nothing goes upstream and no token is involved.
 */
export function createLocalDelivery(options: LocalDeliveryOptions): Delivery {
  const dir = options.localEventsDir;
  let created: Promise<unknown> | undefined;
  return {
    async deliver(events) {
      try {
        created ??= mkdir(join(dir, TMP_DIR), { recursive: true }).catch((error: unknown) => {
          created = undefined;
          throw error;
        });
        await created;
        const id = newEntryId();
        const received_at = new Date(Number(id.slice(0, 13))).toISOString();
        await writeFileDurably(dir, `${id}.json`, `${JSON.stringify({ received_at, events }, null, 2)}\n`);
        return { ok: true };
      } catch (error) {
        options.logger?.error('postern: could not write local events; the batch is refused with 503', { dir, error: error instanceof Error ? error.message : String(error) });
        return { ok: false, code: 'spool_unavailable', detail: 'Check that localEventsDir exists, is writable and has space.' };
      }
    },
  };
}
