import type { RelayBody } from './request.js';

/** `aborted`: the stream failed before its end (the client went away, or a server timeout cut it off). */
export type BodyRead =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; readBytes: number; aborted?: true };

const encoder = new TextEncoder();

function toBytes(chunk: Uint8Array | string): Uint8Array {
  return typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function isReadableStream(body: object): body is ReadableStream<Uint8Array> {
  return typeof (body as ReadableStream).getReader === 'function';
}

/**
 * Reads the body as bytes, stopping as soon as it passes `maxBytes`: the rest is never read, so an
 * oversized or endless body costs at most `maxBytes` of memory. The caller answers 413 and the adapter
 * decides what happens to the unread remainder.
 */
export async function readBodyCapped(body: RelayBody, maxBytes: number): Promise<BodyRead> {
  try {
    return await readCapped(body, maxBytes);
  } catch {
    return { ok: false, readBytes: 0, aborted: true };
  }
}

async function readCapped(body: RelayBody, maxBytes: number): Promise<BodyRead> {
  if (body === null || body === undefined) return { ok: true, bytes: new Uint8Array(0) };
  if (typeof body === 'string' || body instanceof Uint8Array) {
    const bytes = toBytes(body);
    return bytes.length > maxBytes ? { ok: false, readBytes: bytes.length } : { ok: true, bytes };
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (isReadableStream(body)) {
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return { ok: false, readBytes: total };
      }
      chunks.push(value);
    }
    return { ok: true, bytes: concat(chunks, total) };
  }
  for await (const chunk of body) {
    const bytes = toBytes(chunk);
    total += bytes.length;
    if (total > maxBytes) return { ok: false, readBytes: total };
    chunks.push(bytes);
  }
  return { ok: true, bytes: concat(chunks, total) };
}
