import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js';
import type { Scrubber } from './scrubber.js';

/**
 * Item types whose payload is one JSON document the scrubber walks: those the Relay Contract names
 * (R-SCRUB-1), which also requires every other item to pass byte for byte. `replay_event` is JSON too and
 * carries page URLs and the user, but scrubbing it is a change to the contract first; attachments and
 * replay recordings (rrweb, often compressed) are not JSON documents at all.
 */
export const SCRUBBED_ITEM_TYPES: ReadonlySet<string> = new Set(['event', 'transaction', 'log']);

export type EnvelopeScrub = { ok: true; bytes: Uint8Array; changed: boolean } | { ok: false; code: 'envelope_invalid' | 'payload_too_large'; detail: string };

/**
 * What the scrubber reads of one envelope. Its rules are linear, but a hostile string still costs up to
 * ~130 ms a MiB with every rule on, and an envelope may be 20 MiB; Sentry itself takes an event of at most
 * 1 MB (Relay's max_event_size), so items past these sizes are refused rather than scrubbed slowly or
 * forwarded unscrubbed.
 */
export const MAX_SCRUBBED_ITEM_BYTES = 1_048_576;
export const MAX_SCRUBBED_ENVELOPE_BYTES = 4 * 1_048_576;

const NEWLINE = 0x0a;
// Fatal: an item that is not valid UTF-8 is not valid JSON for Sentry either. Decoding it leniently
// would put U+FFFD in place of the bad bytes and, if a rule then changed the item, forward those
// replacements as if the client had sent them. Fatal decoding leaves such an item unparsed and as sent.
const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** A byte range of the envelope replaced by new bytes. */
interface Splice {
  readonly start: number;
  readonly end: number;
  readonly bytes: Uint8Array;
}

function lineEnd(bytes: Uint8Array, from: number): number {
  const newline = bytes.indexOf(NEWLINE, from);
  return newline === -1 ? bytes.length : newline;
}

/** The JSON document of an item, undefined when it is not one, or 'too deep' when it nests past MAX_JSON_DEPTH. */
function parseJson(bytes: Uint8Array): unknown {
  try {
    const text = decoder.decode(bytes);
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return TOO_DEEP;
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const TOO_DEEP = Symbol('too deep');

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function splice(bytes: Uint8Array, splices: readonly Splice[]): Uint8Array {
  let size = bytes.length;
  for (const part of splices) size += part.bytes.length - (part.end - part.start);
  const out = new Uint8Array(size);
  let from = 0;
  let at = 0;
  for (const part of splices) {
    out.set(bytes.subarray(from, part.start), at);
    at += part.start - from;
    out.set(part.bytes, at);
    at += part.bytes.length;
    from = part.end;
  }
  out.set(bytes.subarray(from), at);
  return out;
}

/**
 * Scrubs the JSON items of a Sentry envelope: the header line, then items, each an item header line and
 * a payload of exactly `length` bytes (which may hold newlines or binary) plus an optional newline, or,
 * without `length`, up to the next newline. Only the bytes of items that changed are rewritten; without
 * a change the very same `bytes` object comes back.
 */
export async function scrubEnvelope(bytes: Uint8Array, scrubber: Scrubber): Promise<EnvelopeScrub> {
  const splices: Splice[] = [];
  let scrubbedBytes = 0;
  let position = lineEnd(bytes, 0) + 1;
  let index = 0;
  while (position < bytes.length) {
    const headerStart = position;
    const headerEnd = lineEnd(bytes, headerStart);
    // A blank line (a trailing newline, say) carries no item.
    if (headerEnd === headerStart) {
      position = headerEnd + 1;
      continue;
    }
    index++;
    const header = parseJson(bytes.subarray(headerStart, headerEnd));
    if (!isObject(header)) return { ok: false, code: 'envelope_invalid', detail: `Item ${index}'s header is not a JSON object.` };
    if (typeof header.type !== 'string') return { ok: false, code: 'envelope_invalid', detail: `Item ${index}'s header has no type.` };
    const length = header.length;
    const hasLength = length !== undefined && length !== null;
    if (hasLength && !(typeof length === 'number' && Number.isInteger(length) && length >= 0)) {
      return { ok: false, code: 'envelope_invalid', detail: `Item ${index}'s length is not a whole number of bytes.` };
    }
    const payloadStart = Math.min(headerEnd + 1, bytes.length);
    let payloadEnd: number;
    if (hasLength) {
      payloadEnd = payloadStart + (length as number);
      if (payloadEnd > bytes.length) {
        return { ok: false, code: 'envelope_invalid', detail: `Item ${index} declares ${length as number} bytes but only ${bytes.length - payloadStart} follow.` };
      }
      position = bytes[payloadEnd] === NEWLINE ? payloadEnd + 1 : payloadEnd;
    } else {
      payloadEnd = lineEnd(bytes, payloadStart);
      position = payloadEnd + 1;
    }

    if (!SCRUBBED_ITEM_TYPES.has(header.type)) continue;
    const size = payloadEnd - payloadStart;
    scrubbedBytes += size;
    if (size > MAX_SCRUBBED_ITEM_BYTES || scrubbedBytes > MAX_SCRUBBED_ENVELOPE_BYTES) {
      return { ok: false, code: 'payload_too_large', detail: `With scrubbing on, an ${header.type} item may be at most ${MAX_SCRUBBED_ITEM_BYTES} bytes, and such items ${MAX_SCRUBBED_ENVELOPE_BYTES} bytes in all.` };
    }
    const payload = parseJson(bytes.subarray(payloadStart, payloadEnd));
    if (payload === TOO_DEEP) return { ok: false, code: 'envelope_invalid', detail: `Item ${index} nests deeper than ${MAX_JSON_DEPTH} levels.` };
    // A payload that is not JSON is left as sent: Sentry judges it, the relay only removes data.
    if (payload === undefined || !(await scrubber.scrub(payload))) continue;
    const scrubbed = encoder.encode(JSON.stringify(payload));
    if (hasLength) {
      header.length = scrubbed.length;
      splices.push({ start: headerStart, end: headerEnd, bytes: encoder.encode(JSON.stringify(header)) });
    }
    splices.push({ start: payloadStart, end: payloadEnd, bytes: scrubbed });
  }
  return splices.length === 0 ? { ok: true, bytes, changed: false } : { ok: true, bytes: splice(bytes, splices), changed: true };
}
