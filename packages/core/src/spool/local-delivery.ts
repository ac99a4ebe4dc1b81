import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Delivery } from '../delivery/delivery.js';
import type { RelayLogger } from '../options.js';
import { DIR_MODE, TMP_DIR, writeFileDurably } from './atomic-write.js';
import { newEntryId } from './layout.js';

export interface LocalDeliveryOptions {
  localEventsDir: string;
  logger?: RelayLogger;
}

/**
 * Local-only mode: each accepted batch becomes one indented JSON file, `<received ms>-<hex>.json`, in
 * `localEventsDir`, for a person or a local tool to read as the relay's user (files 0600, directories 0700).
 * Nothing goes upstream and no token is involved.
 */
export function createLocalDelivery(options: LocalDeliveryOptions): Delivery {
  const dir = options.localEventsDir;
  let created: Promise<unknown> | undefined;
  return {
    async deliver(events) {
      const id = newEntryId();
      const received_at = new Date(Number(id.slice(0, 13))).toISOString();
      let text: string;
      try {
        text = `${JSON.stringify({ received_at, events }, null, 2)}\n`;
      } catch (error) {
        // Nothing touched the disk: not a directory problem, so not reported as one.
        options.logger?.error(
          'postern: a batch could not be serialised; it is refused with 500 and nothing was written',
          { error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) },
        );
        return { ok: false, code: 'internal_error', detail: 'The batch could not be serialised.' };
      }
      try {
        created ??= mkdir(join(dir, TMP_DIR), { recursive: true, mode: DIR_MODE }).catch(
          (error: unknown) => {
            created = undefined;
            throw error;
          },
        );
        await created;
        await writeFileDurably(dir, `${id}.json`, text);
        return { ok: true };
      } catch (error) {
        options.logger?.error(
          'postern: could not write local events; the batch is refused with 503',
          { dir, error: error instanceof Error ? error.message : String(error) },
        );
        return {
          ok: false,
          code: 'spool_unavailable',
          detail: 'Check that localEventsDir exists, is writable and has space.',
        };
      }
    },
  };
}
