import { describe, expect, it } from 'vitest';
import { readBodyCapped } from './body.js';
import type { RelayBody } from './request.js';

const encoder = new TextEncoder();
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

async function* iterate<T>(chunks: readonly T[]): AsyncGenerator<T> {
  for (const chunk of chunks) yield chunk;
}

function streamOf(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

describe('readBodyCapped', () => {
  it.each([null, undefined])('reads %s as an empty body', async (body) => {
    expect(await readBodyCapped(body, 10)).toEqual({ ok: true, bytes: new Uint8Array(0) });
  });

  // Every shape a body comes in, holding `{"a":"é"}` (10 bytes: é is two in UTF-8).
  const json = '{"a":"é"}';
  const bytes = encoder.encode(json);
  const shapes: [string, () => RelayBody][] = [
    ['a string', () => json],
    ['a Uint8Array', () => bytes],
    ['a Buffer', () => Buffer.from(json)],
    ['an async iterable of Buffers', () => iterate([Buffer.from('{"a":'), Buffer.from('"é"}')])],
    ['an async iterable of strings', () => iterate(['{"a"', ':"é', '"}'])],
    ['an async iterable of one chunk', () => iterate([bytes])],
    ['an empty async iterable', () => iterate<string>([])],
    [
      'a ReadableStream',
      () => streamOf([bytes.subarray(0, 3), bytes.subarray(3, 7), bytes.subarray(7)]),
    ],
  ];

  it('counts UTF-8 bytes, not characters', () => {
    expect(bytes.length).toBe(10);
  });

  it.each(shapes)('reads %s that is exactly at the cap', async (name, body) => {
    const read = await readBodyCapped(body(), name === 'an empty async iterable' ? 0 : 10);
    if (!read.ok) throw new Error(`expected ok, got ${JSON.stringify(read)}`);
    expect(text(read.bytes)).toBe(name === 'an empty async iterable' ? '' : json);
  });

  it.each(shapes.filter(([name]) => name !== 'an empty async iterable'))(
    'refuses %s one byte over the cap',
    async (_name, body) => {
      expect(await readBodyCapped(body(), 9)).toEqual({ ok: false, readBytes: 10 });
    },
  );

  it('refuses a multi-byte character that straddles the cap', async () => {
    expect(await readBodyCapped('é', 1)).toEqual({ ok: false, readBytes: 2 });
  });

  it('stops pulling an endless async iterable as soon as the count passes the cap, and closes it', async () => {
    let pulled = 0;
    let closed = false;
    async function* endless(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) {
          pulled++;
          yield new Uint8Array(10);
        }
      } finally {
        closed = true;
      }
    }
    // 10, 20, 30 > 25: the third chunk passes the cap, and nothing after it is asked for.
    expect(await readBodyCapped(endless(), 25)).toEqual({ ok: false, readBytes: 30 });
    expect(pulled).toBe(3);
    expect(closed).toBe(true);
  });

  it('stops reading an endless ReadableStream as soon as the count passes the cap, and cancels it', async () => {
    let pulled = 0;
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled++;
          controller.enqueue(new Uint8Array(10));
        },
        cancel() {
          cancelled = true;
        },
      },
      // No read-ahead: a chunk is produced only when the reader asks for one, so `pulled` counts reads.
      { highWaterMark: 0 },
    );
    expect(await readBodyCapped(stream, 25)).toEqual({ ok: false, readBytes: 30 });
    expect(pulled).toBe(3);
    expect(cancelled).toBe(true);
  });

  it('keeps chunks in order when it joins them', async () => {
    const read = await readBodyCapped(
      iterate([
        new Uint8Array([1, 2]),
        new Uint8Array([]),
        new Uint8Array([3]),
        new Uint8Array([4, 5, 6]),
      ]),
      6,
    );
    expect(read).toEqual({ ok: true, bytes: new Uint8Array([1, 2, 3, 4, 5, 6]) });
  });

  it('reports a body that fails mid-way (client gone, timeout) as aborted, not as too large', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array([1]);
      throw Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    }
    expect(await readBodyCapped(failing(), 100)).toEqual({
      ok: false,
      readBytes: 0,
      aborted: true,
    });
    const stream = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.error(new Error('aborted')),
    });
    expect(await readBodyCapped(stream, 100)).toEqual({ ok: false, readBytes: 0, aborted: true });
  });
});
