import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { contentEncodingOf, readDecodedBody, type DecodeLimits } from './content-encoding.js';

const MiB = 1024 * 1024;

/** Limits with a hold that records every total asked and refuses past `holdAtMost`. */
function limits(
  overrides: Partial<DecodeLimits> & { holdAtMost?: number } = {},
): DecodeLimits & { asked: number[] } {
  const asked: number[] = [];
  const { holdAtMost = Number.POSITIVE_INFINITY, ...rest } = overrides;
  return {
    maxBytes: 8 * MiB,
    maxRatio: 100,
    ratioFloorBytes: MiB,
    declaredLength: undefined,
    hold(total) {
      asked.push(total);
      return total <= holdAtMost;
    },
    asked,
    ...rest,
  };
}

function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size)
    out.push(bytes.subarray(offset, offset + size));
  return out;
}

/** An async iterable over `chunks` (as Node's request iterator is), recording how it was consumed. */
function iterable(chunks: Uint8Array[], options: { failAt?: number; waitAt?: number } = {}) {
  const seen = { pulled: 0, returned: false, finished: false };
  let resume: () => void = () => undefined;
  const waiting = new Promise<void>((done) => {
    resume = done;
  });
  async function* generate(): AsyncGenerator<Uint8Array> {
    try {
      for (let index = 0; index < chunks.length; index++) {
        if (index === options.failAt) throw new Error('aborted');
        if (index === options.waitAt) await waiting;
        seen.pulled++;
        yield chunks[index] as Uint8Array;
      }
    } finally {
      seen.finished = true;
    }
  }
  const generator = generate();
  const original = generator.return.bind(generator);
  generator.return = (value) => {
    seen.returned = true;
    return original(value);
  };
  return { body: generator, seen, resume };
}

/** A ReadableStream over `chunks`, recording pulls and a cancel. */
function stream(chunks: Uint8Array[], options: { failAt?: number } = {}) {
  const seen = { pulled: 0, cancelled: false };
  let index = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (index === options.failAt) return controller.error(new Error('aborted'));
        if (index === chunks.length) return controller.close();
        seen.pulled++;
        controller.enqueue(chunks[index++] as Uint8Array);
      },
      cancel() {
        seen.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { body, seen };
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/** Incompressible bytes (getRandomValues fills at most 65536 at a time). */
function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536)
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
  return out;
}

describe('contentEncodingOf', () => {
  it('knows gzip, x-gzip, deflate and identity in any case, and nothing else', () => {
    expect(
      [undefined, '', ' Identity ', 'GZIP', 'x-gzip', 'Deflate'].map(contentEncodingOf),
    ).toEqual(['identity', 'identity', 'identity', 'gzip', 'gzip', 'deflate']);
    expect([' br', 'gzip, deflate', 'compress'].map(contentEncodingOf)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('readDecodedBody, identity', () => {
  it('reads bytes, strings, streams and async iterables, holding the running total before keeping each chunk', async () => {
    const chunks = [Buffer.from('{"dsn":'), Buffer.from('"x"}\n'), Buffer.from('{}')];
    for (const body of [
      Buffer.concat(chunks),
      '{"dsn":"x"}\n{}',
      stream(chunks).body,
      iterable(chunks).body,
    ]) {
      const check = limits();
      const read = await readDecodedBody(body, 'identity', check);
      expect(read.ok && text(read.bytes)).toBe('{"dsn":"x"}\n{}');
      expect(check.asked.at(-1)).toBe(14);
    }
    const check = limits();
    await readDecodedBody(iterable(chunks).body, 'identity', check);
    expect(check.asked).toEqual([7, 12, 14]);
  });

  it('holds a declared Content-Length before reading a byte, and reads nothing when it is refused', async () => {
    const source = stream([Buffer.alloc(100), Buffer.alloc(100)]);
    const check = limits({ declaredLength: 200, holdAtMost: 150 });
    expect(await readDecodedBody(source.body, 'identity', check)).toEqual({
      ok: false,
      code: 'capacity_exceeded',
    });
    expect(check.asked).toEqual([200]);
    expect(source.seen).toEqual({ pulled: 0, cancelled: true });
  });

  it('reads a body into one buffer of its declared length, and still reads one that is longer or shorter than declared', async () => {
    const chunks = [Buffer.from('{"dsn":'), Buffer.from('"x"}\n'), Buffer.from('{}')];
    for (const declaredLength of [14, 9, 20]) {
      const check = limits({ declaredLength });
      const read = await readDecodedBody(iterable(chunks).body, 'identity', check);
      expect(read.ok && text(read.bytes)).toBe('{"dsn":"x"}\n{}');
      expect(check.asked).toEqual([declaredLength, 7, 12, 14]);
    }
  });

  it('stops at the chunk the hold refuses, and returns the iterator so the adapter can throw the rest away', async () => {
    const source = iterable([Buffer.alloc(100), Buffer.alloc(100), Buffer.alloc(100)]);
    const check = limits({ holdAtMost: 150 });
    expect(await readDecodedBody(source.body, 'identity', check)).toEqual({
      ok: false,
      code: 'capacity_exceeded',
    });
    expect(check.asked).toEqual([100, 200]);
    expect(source.seen).toEqual({ pulled: 2, returned: true, finished: true });
  });

  it('answers payload_too_large past maxBytes, and body_incomplete when the body fails', async () => {
    const over = stream([Buffer.alloc(6), Buffer.alloc(6)]);
    expect(await readDecodedBody(over.body, 'identity', limits({ maxBytes: 10 }))).toEqual({
      ok: false,
      code: 'payload_too_large',
      limit: 'encoded',
    });
    expect(over.seen.cancelled).toBe(true);
    expect(
      await readDecodedBody(
        iterable([Buffer.alloc(6), Buffer.alloc(6)], { failAt: 1 }).body,
        'identity',
        limits(),
      ),
    ).toEqual({ ok: false, code: 'body_incomplete' });
    expect(
      await readDecodedBody(stream([Buffer.alloc(6)], { failAt: 1 }).body, 'identity', limits()),
    ).toEqual({ ok: false, code: 'body_incomplete' });
  });
});

describe('readDecodedBody, gzip and deflate', () => {
  const envelope = Buffer.from(
    `{"dsn":"https://k@o1.ingest.sentry.io/1"}\n{"type":"event"}\n${JSON.stringify({ message: 'x'.repeat(5000) })}\n`,
  );

  it('decodes gzip and deflate as they stream in, in any chunking, holding only decoded bytes', async () => {
    for (const [encoding, encoded] of [
      ['gzip', gzipSync(envelope)],
      ['deflate', deflateSync(envelope)],
    ] as const) {
      for (const body of [
        encoded,
        stream(pieces(encoded, 7)).body,
        iterable(pieces(encoded, 13)).body,
      ]) {
        const check = limits();
        const read = await readDecodedBody(body, encoding, check);
        expect(read.ok && Buffer.from(read.bytes).equals(envelope)).toBe(true);
        expect(read.ok && read.encodedBytes).toBe(encoded.length);
        expect(Math.max(...check.asked)).toBe(envelope.length);
      }
    }
  });

  it('refuses with capacity_exceeded at the first decoded chunk the hold refuses, and stops reading the body', async () => {
    // 2 MiB of noise on the wire: far more than the decoder takes in ahead of its output (about 64 KiB),
    // so the refusal comes mid-body and the rest is never read.
    const noise = gzipSync(randomBytes(2 * MiB), { level: 1 });
    const source = stream(pieces(noise, 4096));
    const check = limits({ holdAtMost: 256 * 1024, maxRatio: 0 });
    expect(await readDecodedBody(source.body, 'gzip', check)).toEqual({
      ok: false,
      code: 'capacity_exceeded',
    });
    // Every total asked but the last was held; the last is the one refused, and nothing was asked after it.
    expect(check.asked.slice(0, -1).every((total) => total <= 256 * 1024)).toBe(true);
    expect(check.asked.at(-1)).toBeGreaterThan(256 * 1024);
    expect(check.asked.at(-1)).toBeLessThan(256 * 1024 + 128 * 1024);
    expect(source.seen.cancelled).toBe(true);
    expect(source.seen.pulled).toBeLessThan(pieces(noise, 4096).length / 2);
  });

  it('stops decoding at maxBytes (payload_too_large, decoded) and refuses more than maxBytes on the wire (encoded)', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
    const check = limits({ maxBytes: MiB, maxRatio: 0 });
    expect(await readDecodedBody(bomb, 'gzip', check)).toEqual({
      ok: false,
      code: 'payload_too_large',
      limit: 'decoded',
    });
    expect(Math.max(...check.asked)).toBeLessThanOrEqual(MiB);
    const noise = gzipSync(randomBytes(60_000), { level: 0 });
    expect(
      await readDecodedBody(stream(pieces(noise, 1000)).body, 'gzip', limits({ maxBytes: 50_000 })),
    ).toEqual({ ok: false, code: 'payload_too_large', limit: 'encoded' });
  });

  it('refuses a body decoding past maxRatio times its size: early with a Content-Length, at the end without', async () => {
    const bomb = gzipSync(Buffer.alloc(6 * MiB), { level: 9 }); // about 6 KB: a ratio near 1000
    const early = limits({ declaredLength: bomb.length });
    expect(await readDecodedBody(stream(pieces(bomb, 512)).body, 'gzip', early)).toEqual({
      ok: false,
      code: 'payload_too_large',
      limit: 'ratio',
    });
    // Stopped once the output passed max(1 MiB, 100 × 6 KB): about 1 MiB held at most, not 6.
    expect(Math.max(...early.asked)).toBeLessThanOrEqual(MiB);
    const late = limits();
    expect(await readDecodedBody(iterable(pieces(bomb, 512)).body, 'gzip', late)).toEqual({
      ok: false,
      code: 'payload_too_large',
      limit: 'ratio',
    });
    expect(Math.max(...late.asked)).toBe(6 * MiB);
  });

  it('takes a high ratio under the 1 MiB floor, a ratio under the limit above it, and any ratio with maxRatio 0', async () => {
    const small = gzipSync(Buffer.alloc(900 * 1024), { level: 9 }); // ~1000×, but under the floor
    expect(
      (await readDecodedBody(small, 'gzip', limits({ declaredLength: small.length }))).ok,
    ).toBe(true);
    // One random byte in 16: about 6 times smaller once compressed, well under 100.
    const plain = new Uint8Array(4 * MiB);
    for (let i = 0; i < plain.length; i += 16) plain[i] = Math.floor(Math.random() * 256);
    const modest = gzipSync(plain);
    expect(plain.length / modest.length).toBeLessThan(100);
    expect(
      (await readDecodedBody(modest, 'gzip', limits({ declaredLength: modest.length }))).ok,
    ).toBe(true);
    const bomb = gzipSync(Buffer.alloc(6 * MiB), { level: 9 });
    expect(
      (await readDecodedBody(bomb, 'gzip', limits({ declaredLength: bomb.length, maxRatio: 0 })))
        .ok,
    ).toBe(true);
  });

  it('answers encoding_invalid to garbage, a truncated body and multi-member gzip; body_incomplete when the body fails', async () => {
    const whole = gzipSync(envelope);
    expect(await readDecodedBody(Buffer.from('not gzip'), 'gzip', limits())).toEqual({
      ok: false,
      code: 'encoding_invalid',
    });
    expect(await readDecodedBody(whole.subarray(0, whole.length - 6), 'gzip', limits())).toEqual({
      ok: false,
      code: 'encoding_invalid',
    });
    expect(await readDecodedBody(Buffer.concat([whole, whole]), 'gzip', limits())).toEqual({
      ok: false,
      code: 'encoding_invalid',
    });
    expect(await readDecodedBody(deflateSync(envelope), 'gzip', limits())).toEqual({
      ok: false,
      code: 'encoding_invalid',
    });
    expect(
      await readDecodedBody(iterable(pieces(whole, 20), { failAt: 3 }).body, 'gzip', limits()),
    ).toEqual({ ok: false, code: 'body_incomplete' });
    expect(
      await readDecodedBody(stream(pieces(whole, 20), { failAt: 3 }).body, 'gzip', limits()),
    ).toEqual({ ok: false, code: 'body_incomplete' });
  });

  it('leaves no part of an async-iterable body half-read when it stops while the next chunk is still on its way', async () => {
    // The first piece decodes past what the hold allows; the second only arrives when the test says so,
    // so the refusal may come while the body is waiting for it. Either way the iterator must end: returned
    // at once, or read to its end and dropped once the waiting chunk arrives.
    const bomb = gzipSync(Buffer.alloc(2 * MiB), { level: 9 });
    const source = iterable([bomb.subarray(0, 1200), bomb.subarray(1200), Buffer.alloc(0)], {
      waitAt: 1,
    });
    const read = await readDecodedBody(
      source.body,
      'gzip',
      limits({ holdAtMost: 64 * 1024, maxRatio: 0 }),
    );
    expect(read).toEqual({ ok: false, code: 'capacity_exceeded' });
    source.resume();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(source.seen.finished).toBe(true);
  });
});
