import type { ErrorCode } from '../errors.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../json-depth.js';

export type BatchParse =
  | { ok: true; items: unknown[] }
  | { ok: false; code: ErrorCode; detail: string };

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes the body as strict UTF-8 JSON and checks it is `{ "batch": [...] }` with at least one item. */
export function parseBatch(bytes: Uint8Array): BatchParse {
  let parsed: unknown;
  try {
    const text = decoder.decode(bytes);
    if (nestsDeeperThan(bytes, MAX_JSON_DEPTH))
      return {
        ok: false,
        code: 'invalid_json',
        detail: `It nests deeper than ${MAX_JSON_DEPTH} levels.`,
      };
    parsed = JSON.parse(text);
  } catch {
    // The parser's message quotes the body, which may hold anything a client sent: it is never echoed.
    return { ok: false, code: 'invalid_json', detail: 'It must be UTF-8 encoded JSON.' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, code: 'invalid_body', detail: 'It is JSON, but not an object.' };
  }
  const batch = (parsed as { batch?: unknown }).batch;
  if (!Array.isArray(batch))
    return {
      ok: false,
      code: 'invalid_body',
      detail: 'Its "batch" field is missing or not an array.',
    };
  if (batch.length === 0)
    return { ok: false, code: 'batch_empty', detail: 'Send at least one event.' };
  return { ok: true, items: batch };
}
