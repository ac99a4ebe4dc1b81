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
 * The request meta Relay reads from the envelope header ahead of the request's own (`PartialMeta::copy_to`,
 * relay-server `extractors/request_meta.rs`): the client's address, the origin, user agent and client hints
 * the tunnel checked or bounded, and Relay's own bookkeeping. No Sentry SDK writes them (its headers hold
 * `event_id`, `sent_at`, `sdk`, `dsn`, `trace`), so one in a browser's envelope is a client speaking for the
 * tunnel (R-FORWARD-8).
 */
const REQUEST_META_KEYS = [
  'forwarded_for',
  'remote_addr',
  'origin',
  'user_agent',
  'client_hints',
  'client',
  'version',
  'no_cache',
] as const;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * The first key the top-level object of `text` (JSON that parsed to an object) holds twice, compared
 * after unescaping (`"d\u0073n"` is `dsn`), or undefined. JSON.parse keeps the last of two equal keys,
 * so the tunnel would route by one `dsn` while an upstream that keeps the first reads another. One pass
 * over the characters: strings are skipped, nesting is counted, and a string at depth 1 right after `{`
 * or `,` is a key.
 */
export function repeatedTopLevelKey(text: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  let expectKey = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      const start = index;
      let escaped = false;
      for (index++; index < text.length; index++) {
        const inner = text.charCodeAt(index);
        if (inner === BACKSLASH) {
          escaped = true;
          index++;
        } else if (inner === QUOTE) break;
      }
      if (depth === 1 && expectKey) {
        const key = escaped
          ? (JSON.parse(text.slice(start, index + 1)) as string)
          : text.slice(start + 1, index);
        if (seen.has(key)) return key;
        seen.add(key);
        expectKey = false;
      }
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth++;
      expectKey = depth === 1;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) depth--;
    else if (code === COMMA && depth === 1) expectKey = true;
  }
  return undefined;
}

/**
 * Reads only the envelope header, the bytes up to the first `\n` (or the end): the items after it, binary
 * replays and attachments among them, are never decoded here. `end` is the index of that newline.
 */
export function readEnvelopeHeader(bytes: Uint8Array): HeaderRead {
  const newline = bytes.indexOf(NEWLINE);
  const end = newline === -1 ? bytes.length : newline;
  if (end > MAX_HEADER_BYTES)
    return {
      ok: false,
      code: 'envelope_invalid',
      detail: `The header line is longer than ${MAX_HEADER_BYTES} bytes.`,
    };
  let header: unknown;
  let text: string;
  try {
    text = decoder.decode(bytes.subarray(0, end));
    header = JSON.parse(text);
  } catch {
    return { ok: false, code: 'envelope_invalid' };
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    return { ok: false, code: 'envelope_invalid' };
  const twice = repeatedTopLevelKey(text);
  if (twice !== undefined)
    return {
      ok: false,
      code: 'envelope_invalid',
      detail: `The header names ${JSON.stringify(twice)} more than once.`,
    };
  const record = header as Record<string, unknown>;
  for (const key of REQUEST_META_KEYS) {
    if (Object.hasOwn(record, key))
      return {
        ok: false,
        code: 'envelope_invalid',
        detail: `The header holds ${JSON.stringify(key)}, request meta that only the tunnel may state.`,
      };
  }
  if (!Object.hasOwn(record, 'dsn') || record.dsn === null || record.dsn === '')
    return { ok: false, code: 'dsn_missing' };
  return { ok: true, header: record, dsn: record.dsn, end };
}

/**
 * The envelope for a copy sent to another project: the header's `dsn` and `trace.public_key` name the
 * target, the rest of the bytes are the original's. The header is re-serialised; items are untouched.
 */
export function rewriteForTarget(
  bytes: Uint8Array,
  header: Record<string, unknown>,
  end: number,
  target: Target,
): Uint8Array {
  const rewritten: Record<string, unknown> = { ...header, dsn: target.written };
  const trace = header.trace;
  if (
    trace !== null &&
    typeof trace === 'object' &&
    !Array.isArray(trace) &&
    Object.hasOwn(trace, 'public_key')
  ) {
    rewritten.trace = { ...trace, public_key: target.dsn.publicKey };
  }
  const head = encoder.encode(JSON.stringify(rewritten));
  const rest = bytes.subarray(end);
  const out = new Uint8Array(head.length + rest.length);
  out.set(head, 0);
  out.set(rest, head.length);
  return out;
}
