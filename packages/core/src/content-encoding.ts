import { readBodyCapped } from './body.js';

export type Decoded = { ok: true; bytes: Uint8Array } | { ok: false; code: 'payload_too_large' | 'encoding_invalid' };

/** `gzip` or `deflate` (zlib-wrapped, as HTTP means it), any case; `identity` and no header mean none. */
export function contentEncodingOf(value: string | undefined): 'identity' | 'gzip' | 'deflate' | undefined {
  const encoding = value?.trim().toLowerCase() ?? 'identity';
  if (encoding === '' || encoding === 'identity') return 'identity';
  if (encoding === 'gzip' || encoding === 'x-gzip') return 'gzip';
  if (encoding === 'deflate') return 'deflate';
  return undefined;
}

/**
 * Inflates a body, stopping as soon as the output passes `maxBytes`: a gzip bomb costs at most the cap
 * in memory and is answered 413. Uses the Web `DecompressionStream`, so core stays free of node:zlib.
 */
export async function decodeCapped(bytes: Uint8Array, encoding: 'gzip' | 'deflate', maxBytes: number): Promise<Decoded> {
  const input = new ReadableStream<BufferSource>({
    start(controller) {
      controller.enqueue(bytes as Uint8Array<ArrayBuffer>);
      controller.close();
    },
  });
  // The input is already in memory, so a failing stream here can only be a body that does not decode.
  const read = await readBodyCapped(input.pipeThrough(new DecompressionStream(encoding)), maxBytes);
  if (read.ok) return { ok: true, bytes: read.bytes };
  return { ok: false, code: read.aborted ? 'encoding_invalid' : 'payload_too_large' };
}
