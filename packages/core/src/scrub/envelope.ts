import { createEnvelopeRewriter, SCRUBBED_ITEM_TYPES } from '../tunnel/item-rules.js';
import { MAX_READ_ENVELOPE_BYTES, MAX_READ_ITEM_BYTES } from '../tunnel/items.js';
import type { Scrubber } from './scrubber.js';

/**
 * Item types whose payload is one JSON document the scrubber walks: those the Relay Contract names
 * (R-SCRUB-1), which also requires every other item to pass byte for byte. `replay_event` is JSON too and
 * carries page URLs and the user, but scrubbing it is a change to the contract first; attachments and
 * replay recordings (rrweb, often compressed) are not JSON documents at all.
 */
export { SCRUBBED_ITEM_TYPES };

export type EnvelopeScrub =
  | { ok: true; bytes: Uint8Array; changed: boolean }
  | { ok: false; code: 'envelope_invalid' | 'payload_too_large'; detail: string };

/**
 * What the scrubber reads of one envelope. Its rules are linear, but a hostile string still costs up to
 * ~130 ms a MiB with every rule on, and an envelope may be 20 MiB; Sentry itself takes an event of at most
 * 1 MB (Relay's max_event_size), so items past these sizes are refused rather than scrubbed slowly or
 * forwarded unscrubbed. The same limits bound every option that reads items (tunnel/items.ts).
 */
export const MAX_SCRUBBED_ITEM_BYTES = MAX_READ_ITEM_BYTES;
export const MAX_SCRUBBED_ENVELOPE_BYTES = MAX_READ_ENVELOPE_BYTES;

/**
 * Scrubs the JSON items of a Sentry envelope: the header line, then items, each an item header line and
 * a payload of exactly `length` bytes (which may hold newlines or binary) plus an optional newline, or,
 * without `length`, up to the next newline. Only the bytes of items that changed are rewritten; without
 * a change the very same `bytes` object comes back. The tunnel runs scrubbing in the same pass as its
 * other item options (tunnel/item-rules.ts); this is that pass with scrubbing alone.
 */
export async function scrubEnvelope(bytes: Uint8Array, scrubber: Scrubber): Promise<EnvelopeScrub> {
  const rewrite = createEnvelopeRewriter({ scrubber }) as NonNullable<
    ReturnType<typeof createEnvelopeRewriter>
  >;
  const result = await rewrite(bytes);
  if (!result.ok) return result;
  return { ok: true, bytes: result.bytes, changed: result.changed };
}
