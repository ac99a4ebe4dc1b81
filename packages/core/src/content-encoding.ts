import type { RelayBody } from './request.js';

/** `gzip` or `deflate` (zlib-wrapped, as HTTP means it), any case; `identity` and no header mean none. */
export function contentEncodingOf(
  value: string | undefined,
): 'identity' | 'gzip' | 'deflate' | undefined {
  const encoding = value?.trim().toLowerCase() ?? 'identity';
  if (encoding === '' || encoding === 'identity') return 'identity';
  if (encoding === 'gzip' || encoding === 'x-gzip') return 'gzip';
  if (encoding === 'deflate') return 'deflate';
  return undefined;
}

export interface DecodeLimits {
  /** Most bytes, both on the wire and once decoded. */
  maxBytes: number;
  /**
   * Most decoded bytes per encoded byte; `0` for no limit. Judged on whole bodies, and only once the decoded
   * size passes `ratioFloorBytes`: a small body that compresses well costs nothing worth refusing.
   */
  maxRatio: number;
  ratioFloorBytes: number;
  /** The `Content-Length` the client declared, when it is a number: it lets the ratio be judged before the body ends. */
  declaredLength: number | undefined;
  /**
   * Asked before each chunk is kept: may the request hold `total` bytes of envelope in all? `false` stops the
   * read at once (answered `capacity_exceeded`), before that chunk is kept.
   */
  hold(total: number): boolean;
}

/** Why a read stopped: `encoded` / `decoded` / `ratio` are all `payload_too_large`. */
export type ReadRefusal =
  | { ok: false; code: 'payload_too_large'; limit: 'encoded' | 'decoded' | 'ratio' }
  | { ok: false; code: 'encoding_invalid' | 'body_incomplete' | 'capacity_exceeded' };

export type EnvelopeRead = { ok: true; bytes: Uint8Array; encodedBytes: number } | ReadRefusal;

const encoder = new TextEncoder();
const ignore = (): void => undefined;

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

/** A body as a pull source: `next` gives the next chunk (null at the end) and throws when the body failed. */
interface Source {
  next(): Promise<Uint8Array | null>;
  /** Reads nothing more for the caller; whatever is left is cancelled or thrown away (never kept). */
  stop(): void;
}

function sourceOf(body: RelayBody): Source {
  if (
    body === null ||
    body === undefined ||
    typeof body === 'string' ||
    body instanceof Uint8Array
  ) {
    let chunk: Uint8Array | null = body === null || body === undefined ? null : toBytes(body);
    return {
      next: async () => {
        const value = chunk;
        chunk = null;
        return value;
      },
      stop: () => {
        chunk = null;
      },
    };
  }
  if (typeof (body as ReadableStream).getReader === 'function') {
    const reader = (body as ReadableStream<Uint8Array>).getReader();
    return {
      next: async () => {
        const { done, value } = await reader.read();
        return done ? null : value;
      },
      stop: () => void reader.cancel().catch(ignore),
    };
  }
  const iterator = (body as AsyncIterable<Uint8Array | string>)[Symbol.asyncIterator]();
  let pending = false;
  let stopped = false;
  // Stopped while a read waits for the client: an async iterator cannot be returned until that read
  // settles, and a Node request stays paused until it is, so the rest is read and dropped instead (what
  // adapters do with a body the engine left unread), keeping the connection usable.
  const throwAway = async (): Promise<void> => {
    try {
      for (;;) if ((await iterator.next()).done) return;
    } catch {
      // the client went away: nothing left to throw away
    }
  };
  return {
    async next() {
      pending = true;
      try {
        const { done, value } = await iterator.next();
        if (stopped) {
          if (!done) void throwAway();
          return null;
        }
        return done ? null : toBytes(value);
      } finally {
        pending = false;
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (!pending) void Promise.resolve(iterator.return?.()).catch(ignore);
    },
  };
}

/**
 * Reads an envelope body, undoing its `Content-Encoding` as it streams in, under every limit at once: the
 * size on the wire and decoded (`maxBytes`), the compression ratio, and what `hold` lets the request keep.
 * An encoded body goes through the Web `DecompressionStream` chunk by chunk and only its output is kept, so
 * a gzip bomb costs at most what `hold` allowed and is stopped as soon as a limit is passed. Core stays
 * free of node:zlib.
 */
export async function readDecodedBody(
  body: RelayBody,
  encoding: 'identity' | 'gzip' | 'deflate',
  limits: DecodeLimits,
): Promise<EnvelopeRead> {
  const source = sourceOf(body);
  return encoding === 'identity'
    ? readIdentity(source, limits)
    : readEncoded(source, encoding, limits);
}

async function readIdentity(source: Source, limits: DecodeLimits): Promise<EnvelopeRead> {
  // A declared length is held before a byte is read, so a request the budget cannot take is answered at once.
  if (
    limits.declaredLength !== undefined &&
    limits.declaredLength > 0 &&
    !limits.hold(Math.min(limits.declaredLength, limits.maxBytes))
  ) {
    source.stop();
    return { ok: false, code: 'capacity_exceeded' };
  }
  // With a declared length the body is copied into one buffer of that size as it arrives (pages are only
  // committed as they are written), instead of keeping the chunks and then copying them all again.
  let whole =
    limits.declaredLength !== undefined && limits.declaredLength > 0
      ? new Uint8Array(limits.declaredLength)
      : undefined;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: Uint8Array | null;
    try {
      chunk = await source.next();
    } catch {
      return { ok: false, code: 'body_incomplete' };
    }
    if (chunk === null) break;
    if (total + chunk.length > limits.maxBytes) {
      source.stop();
      return { ok: false, code: 'payload_too_large', limit: 'encoded' };
    }
    if (!limits.hold(total + chunk.length)) {
      source.stop();
      return { ok: false, code: 'capacity_exceeded' };
    }
    if (whole !== undefined && total + chunk.length <= whole.length) whole.set(chunk, total);
    else {
      // More than was declared (only a source other than HTTP can do that): keep chunks from here on.
      if (whole !== undefined) chunks.push(whole.subarray(0, total));
      whole = undefined;
      chunks.push(chunk);
    }
    total += chunk.length;
  }
  const bytes = whole !== undefined ? whole.subarray(0, total) : concat(chunks, total);
  return { ok: true, bytes, encodedBytes: total };
}

async function readEncoded(
  source: Source,
  encoding: 'gzip' | 'deflate',
  limits: DecodeLimits,
): Promise<EnvelopeRead> {
  const decoder = new DecompressionStream(encoding);
  const writer = decoder.writable.getWriter();
  const reader = decoder.readable.getReader();
  const ratioApplies = limits.maxRatio > 0;
  const ratioCap = (encodedBytes: number): number =>
    Math.max(limits.ratioFloorBytes, limits.maxRatio * encodedBytes);
  // With a declared length the whole body's size is known now, so a bomb is stopped at the ratio, long before maxBytes.
  const earlyRatioCap =
    ratioApplies && limits.declaredLength !== undefined
      ? ratioCap(limits.declaredLength)
      : Number.POSITIVE_INFINITY;
  let encoded = 0;
  let failure: ReadRefusal | undefined;

  // Feeds the decoder as the body arrives; the decoder's backpressure paces it, so the input is never buffered whole.
  const feeding = (async (): Promise<void> => {
    for (;;) {
      let chunk: Uint8Array | null;
      try {
        chunk = await source.next();
      } catch {
        failure ??= { ok: false, code: 'body_incomplete' };
        await writer.abort().catch(ignore);
        return;
      }
      if (failure !== undefined) return source.stop();
      if (chunk === null) {
        await writer.close().catch(ignore); // a body that ends mid-stream fails the reading side, which reports it
        return;
      }
      encoded += chunk.length;
      if (encoded > limits.maxBytes) {
        failure ??= { ok: false, code: 'payload_too_large', limit: 'encoded' };
        source.stop();
        await writer.abort().catch(ignore);
        return;
      }
      try {
        await writer.write(chunk as Uint8Array<ArrayBuffer>);
      } catch {
        // The decoder failed on this input, or the reading side stopped it: that side reports why.
        return source.stop();
      }
    }
  })();

  const chunks: Uint8Array[] = [];
  let decoded = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      decoded += value.length;
      if (decoded > limits.maxBytes) {
        failure ??= { ok: false, code: 'payload_too_large', limit: 'decoded' };
        break;
      }
      if (decoded > earlyRatioCap) {
        failure ??= { ok: false, code: 'payload_too_large', limit: 'ratio' };
        break;
      }
      if (!limits.hold(decoded)) {
        failure ??= { ok: false, code: 'capacity_exceeded' };
        break;
      }
      chunks.push(value);
    }
  } catch {
    // The body does not decode (or the feeding side aborted the decoder, having set why first).
    failure ??= { ok: false, code: 'encoding_invalid' };
  }
  if (failure !== undefined) {
    chunks.length = 0;
    await reader.cancel().catch(ignore);
    source.stop();
    return failure;
  }
  // The decoder ended, so the input did: the feeder has closed the writer or is about to.
  await feeding;
  if (ratioApplies && decoded > ratioCap(encoded))
    return { ok: false, code: 'payload_too_large', limit: 'ratio' };
  return { ok: true, bytes: concat(chunks, decoded), encodedBytes: encoded };
}
