import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js';

/**
 * Reading the items of a Sentry envelope, shared by everything that looks past its header line (scrubbing,
 * item filters, event filters, server context): one way to frame items, one set of limits, and byte ranges
 * so that whatever is not rewritten or removed goes upstream as it came.
 *
 * An envelope is its header line, then items: an item header line and a payload of exactly `length` bytes
 * (which may hold newlines or binary) plus an optional newline, or, without `length`, up to the next
 * newline. That is how Relay reads it (relay-server `Item::parse`).
 */

/**
 * What the tunnel parses of one envelope. Parsing is linear, but a hostile item still costs time and
 * memory in proportion to its size, and an envelope may be 20 MiB; Sentry itself takes an event of at
 * most 1 MB (Relay's max_event_size), so items past these sizes are refused rather than read slowly or
 * forwarded unread (and so unscrubbed, unfiltered).
 */
export const MAX_READ_ITEM_BYTES = 1_048_576;
export const MAX_READ_ENVELOPE_BYTES = 4 * 1_048_576;

const NEWLINE = 0x0a;
// Fatal: an item that is not valid UTF-8 is not valid JSON for Sentry either. Decoding it leniently
// would put U+FFFD in place of the bad bytes and, if a rule then changed the item, forward those
// replacements as if the client had sent them. Fatal decoding leaves such an item unparsed and as sent.
const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** One item, as byte offsets into the envelope. */
export interface EnvelopeItem {
  /** 1 for the first item: error details count items as people do. */
  readonly index: number;
  readonly type: string;
  /** The parsed item header; `length` is rewritten here when the payload changes. */
  readonly header: Record<string, unknown>;
  /** Where the item header line starts: removing an item removes `start` to `end`. */
  readonly start: number;
  readonly headerEnd: number;
  readonly payloadStart: number;
  readonly payloadEnd: number;
  /** Where the next item (or a blank line) starts: past the payload's newline when it has one. */
  readonly end: number;
  readonly hasLength: boolean;
}

export interface ItemFraming {
  ok: false;
  code: 'envelope_invalid';
  detail: string;
}

function lineEnd(bytes: Uint8Array, from: number): number {
  const newline = bytes.indexOf(NEWLINE, from);
  return newline === -1 ? bytes.length : newline;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export const TOO_DEEP: unique symbol = Symbol('too deep');

/** The JSON document in `bytes`, undefined when it is not one (or not UTF-8), or TOO_DEEP when it nests past MAX_JSON_DEPTH. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  try {
    const text = decoder.decode(bytes);
    if (nestsDeeperThan(bytes, MAX_JSON_DEPTH)) return TOO_DEEP;
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The items of an envelope, in order, read lazily: the first `{ ok: false }` ends the walk. Blank lines
 * between items (a trailing newline, say) carry no item and are skipped. Nothing is kept between items,
 * so a walk over an envelope of many small items holds one item at a time.
 */
export function* envelopeItems(bytes: Uint8Array): Generator<EnvelopeItem | ItemFraming> {
  let position = lineEnd(bytes, 0) + 1;
  let index = 0;
  while (position < bytes.length) {
    const start = position;
    const headerEnd = lineEnd(bytes, start);
    if (headerEnd === start) {
      position = headerEnd + 1;
      continue;
    }
    index++;
    const header = parseJsonBytes(bytes.subarray(start, headerEnd));
    if (!isObject(header))
      return yield {
        ok: false,
        code: 'envelope_invalid',
        detail: `Item ${index}'s header is not a JSON object.`,
      };
    if (typeof header.type !== 'string')
      return yield {
        ok: false,
        code: 'envelope_invalid',
        detail: `Item ${index}'s header has no type.`,
      };
    const length = header.length;
    const hasLength = length !== undefined && length !== null;
    if (hasLength && !(typeof length === 'number' && Number.isInteger(length) && length >= 0)) {
      return yield {
        ok: false,
        code: 'envelope_invalid',
        detail: `Item ${index}'s length is not a whole number of bytes.`,
      };
    }
    const payloadStart = Math.min(headerEnd + 1, bytes.length);
    let payloadEnd: number;
    if (hasLength) {
      payloadEnd = payloadStart + (length as number);
      if (payloadEnd > bytes.length) {
        return yield {
          ok: false,
          code: 'envelope_invalid',
          detail: `Item ${index} declares ${length as number} bytes but only ${bytes.length - payloadStart} follow.`,
        };
      }
      position = bytes[payloadEnd] === NEWLINE ? payloadEnd + 1 : payloadEnd;
    } else {
      payloadEnd = lineEnd(bytes, payloadStart);
      position = Math.min(payloadEnd + 1, bytes.length);
    }
    yield {
      index,
      type: header.type,
      header,
      start,
      headerEnd,
      payloadStart,
      payloadEnd,
      end: position,
      hasLength,
    };
  }
}

/** A byte range of the envelope replaced by new bytes (empty bytes: removed). */
export interface Splice {
  readonly start: number;
  readonly end: number;
  readonly bytes: Uint8Array;
}

const NOTHING = new Uint8Array(0);

/** Splices for one item: removed whole, or its payload replaced (with its header's `length` when it has one). */
export function removeItem(item: EnvelopeItem): Splice {
  return { start: item.start, end: item.end, bytes: NOTHING };
}

export function replacePayload(item: EnvelopeItem, payload: Uint8Array): Splice[] {
  const splices: Splice[] = [];
  if (item.hasLength) {
    item.header.length = payload.length;
    splices.push({
      start: item.start,
      end: item.headerEnd,
      bytes: encoder.encode(JSON.stringify(item.header)),
    });
  }
  splices.push({ start: item.payloadStart, end: item.payloadEnd, bytes: payload });
  return splices;
}

/** The envelope with `splices` (in order, not overlapping) applied; every byte outside them is copied as it was. */
export function applySplices(bytes: Uint8Array, splices: readonly Splice[]): Uint8Array {
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
