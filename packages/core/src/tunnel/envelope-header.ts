import type { Target } from './routes.js';

/** A header line longer than this is refused: real ones carry a DSN, an event id and trace context. */
export const MAX_HEADER_BYTES = 65_536;
const NEWLINE = 0x0a;
const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

export type HeaderRead =
  | { ok: true; header: Record<string, unknown>; dsn: unknown; end: number }
  | { ok: false; code: 'envelope_invalid' | 'dsn_missing'; detail?: string };

/**
 * Reads only the envelope header, the bytes up to the first `\n` (or the end): the items after it, binary
 * replays and attachments among them, are never decoded here. `end` is the index of that newline.
 */
export function readEnvelopeHeader(bytes: Uint8Array): HeaderRead {
  const newline = bytes.indexOf(NEWLINE);
  const end = newline === -1 ? bytes.length : newline;
  if (end > MAX_HEADER_BYTES) return { ok: false, code: 'envelope_invalid', detail: `The header line is longer than ${MAX_HEADER_BYTES} bytes.` };
  let header: unknown;
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(0, end)));
  } catch {
    return { ok: false, code: 'envelope_invalid' };
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return { ok: false, code: 'envelope_invalid' };
  const record = header as Record<string, unknown>;
  if (!Object.hasOwn(record, 'dsn') || record.dsn === null || record.dsn === '') return { ok: false, code: 'dsn_missing' };
  return { ok: true, header: record, dsn: record.dsn, end };
}

/**
 * The envelope for a copy sent to another project: the header's `dsn` and `trace.public_key` name the
 * target, the rest of the bytes are the original's. The header is re-serialised; items are untouched.
 */
export function rewriteForTarget(bytes: Uint8Array, header: Record<string, unknown>, end: number, target: Target): Uint8Array {
  const rewritten: Record<string, unknown> = { ...header, dsn: target.written };
  const trace = header.trace;
  if (trace !== null && typeof trace === 'object' && !Array.isArray(trace) && Object.hasOwn(trace, 'public_key')) {
    rewritten.trace = { ...trace, public_key: target.dsn.publicKey };
  }
  const head = encoder.encode(JSON.stringify(rewritten));
  const rest = bytes.subarray(end);
  const out = new Uint8Array(head.length + rest.length);
  out.set(head, 0);
  out.set(rest, head.length);
  return out;
}
