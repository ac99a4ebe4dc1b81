import type { EventBody, RelayBody } from './request.js';

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

function isEventBody(body: object): body is EventBody {
  return (
    typeof (body as EventBody).on === 'function' && typeof (body as EventBody).pause === 'function'
  );
}

/**
 * Reads a Node stream through its events. Past the cap the stream is paused with the rest unread (the
 * adapter resumes it to discard the remainder, the transport destroys it); a stream that errors or closes
 * before its end was cut off.
 */
function readEvents(body: EventBody, maxBytes: number): Promise<BodyRead> {
  if (body.destroyed) return Promise.resolve({ ok: false, readBytes: 0, aborted: true });
  // Someone read it to the end before: there is nothing left, and `end` will not come again.
  if (body.readableEnded) return Promise.resolve({ ok: true, bytes: new Uint8Array(0) });
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    const finish = (result: BodyRead): void => {
      body.removeListener('data', onData);
      body.removeListener('end', onEnd);
      body.removeListener('error', onCutOff);
      body.removeListener('close', onCutOff);
      resolve(result);
    };
    const onData = (chunk: Uint8Array | string): void => {
      const bytes = toBytes(chunk);
      total += bytes.length;
      if (total > maxBytes) {
        body.pause();
        finish({ ok: false, readBytes: total });
      } else chunks.push(bytes);
    };
    const onEnd = (): void => finish({ ok: true, bytes: concat(chunks, total) });
    const onCutOff = (): void => finish({ ok: false, readBytes: total, aborted: true });
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onCutOff);
    body.on('close', onCutOff);
  });
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
  if (isEventBody(body)) return readEvents(body, maxBytes);
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
