import { describe, expect, it } from 'vitest';
import { MAX_SCRUBBED_ENVELOPE_BYTES, MAX_SCRUBBED_ITEM_BYTES, scrubEnvelope } from './envelope.js';
import { compileScrubber } from './scrubber.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const scrubber = compileScrubber({ rules: ['@email', '@ip', '@password'] });

function concat(...parts: Array<string | Uint8Array>): Uint8Array {
  const chunks = parts.map((part) => (typeof part === 'string' ? encoder.encode(part) : part));
  const out = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

const HEADER =
  '{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://key@o1.ingest.sentry.io/1"}';
// Binary, with newlines inside, and bytes that are not UTF-8.
const BINARY = new Uint8Array([0x00, 0x0a, 0xff, 0xfe, 0x0a, 0x41, 0xc3, 0x28, 0x0a]);

/** Splits an envelope the way Sentry reads it, independently of the code under test. */
function readItems(
  bytes: Uint8Array,
): Array<{ header: Record<string, unknown>; payload: Uint8Array }> {
  let at = bytes.indexOf(0x0a) + 1;
  const items: Array<{ header: Record<string, unknown>; payload: Uint8Array }> = [];
  while (at < bytes.length) {
    const end = bytes.indexOf(0x0a, at);
    const header = JSON.parse(decoder.decode(bytes.subarray(at, end))) as Record<string, unknown>;
    at = end + 1;
    const length =
      typeof header.length === 'number'
        ? header.length
        : (bytes.indexOf(0x0a, at) === -1 ? bytes.length : bytes.indexOf(0x0a, at)) - at;
    items.push({ header, payload: bytes.subarray(at, at + length) });
    at += length + 1;
  }
  return items;
}

describe('scrubEnvelope', () => {
  it('scrubs events around a binary attachment, which stays byte-equal, and recomputes lengths', async () => {
    const first =
      '{"message":"from ann@example.com","user":{"ip_address":"10.1.2.3"},"extra":{"note":"café"}}';
    const last = '{"request":{"headers":{"Authorization":"Basic x"}},"message":"ok"}';
    const envelope = concat(
      HEADER,
      '\n',
      `{"type":"event","length":${encoder.encode(first).length}}\n`,
      first,
      '\n',
      `{"type":"attachment","length":${BINARY.length},"filename":"a.bin"}\n`,
      BINARY,
      '\n',
      '{"type":"transaction"}\n',
      last,
      '\n',
    );
    const result = await scrubEnvelope(envelope, scrubber);
    if (!result.ok) throw new Error(result.detail);
    expect(result.changed).toBe(true);
    expect(decoder.decode(result.bytes.subarray(0, HEADER.length + 1))).toBe(`${HEADER}\n`);

    const firstScrubbed = {
      message: 'from [email]',
      user: { ip_address: '[ip]' },
      extra: { note: 'café' },
    };
    const items = readItems(result.bytes);
    expect(items.map((item) => item.header)).toEqual([
      { type: 'event', length: encoder.encode(JSON.stringify(firstScrubbed)).length },
      { type: 'attachment', length: BINARY.length, filename: 'a.bin' },
      { type: 'transaction' },
    ]);
    expect(JSON.parse(decoder.decode(items[0]?.payload))).toEqual(firstScrubbed);
    expect(items[1]?.payload).toEqual(BINARY);
    expect(JSON.parse(decoder.decode(items[2]?.payload))).toEqual({
      request: { headers: { Authorization: '[Filtered]' } },
      message: 'ok',
    });
  });

  it('returns the same bytes object when nothing changes', async () => {
    const envelope = concat(
      HEADER,
      '\n{"type":"event","length":17}\n{"message":"hi"}\n',
      `{"type":"attachment","length":${BINARY.length}}\n`,
      BINARY,
    );
    const result = await scrubEnvelope(envelope, scrubber);
    expect(result).toEqual({ ok: true, bytes: envelope, changed: false });
    expect(result.ok && result.bytes).toBe(envelope);
  });

  it('scrubs log items and leaves every other type as sent, replay_event included', async () => {
    const envelope = concat(
      HEADER,
      '\n{"type":"log"}\n{"items":[{"body":"ip 10.0.0.1"}]}\n',
      '{"type":"replay_event"}\n{"urls":["https://x.test/?e=a@b.com"]}\n',
      '{"type":"session"}\n{"attrs":{"ip_address":"10.0.0.1"}}\n',
      '{"type":"replay_recording"}\n{"password":"p"}',
    );
    const result = await scrubEnvelope(envelope, scrubber);
    if (!result.ok) throw new Error(result.detail);
    expect(decoder.decode(result.bytes)).toBe(
      `${HEADER}\n{"type":"log"}\n{"items":[{"body":"ip [ip]"}]}\n{"type":"replay_event"}\n{"urls":["https://x.test/?e=a@b.com"]}\n{"type":"session"}\n{"attrs":{"ip_address":"10.0.0.1"}}\n{"type":"replay_recording"}\n{"password":"p"}`,
    );
  });

  it('leaves an event that is not JSON, or not UTF-8, byte for byte', async () => {
    const broken = concat(HEADER, '\n{"type":"event"}\n{"message":"a@b.com"\n');
    const brokenResult = await scrubEnvelope(broken, scrubber);
    expect(brokenResult.ok && brokenResult.bytes).toBe(broken);
    const payload = concat('{"m":"a@b.com', new Uint8Array([0xe9]), '"}');
    const notUtf8 = concat(
      HEADER,
      `\n{"type":"event","length":${payload.length}}\n`,
      payload,
      '\n',
    );
    const result = await scrubEnvelope(notUtf8, scrubber);
    expect(result.ok && result.bytes).toBe(notUtf8);
  });

  it('keeps no length where there was none, and takes a payload at the very end', async () => {
    const envelope = encoder.encode(`${HEADER}\n{"type":"event"}\n{"m":"a@b.com"}`);
    const result = await scrubEnvelope(envelope, scrubber);
    if (!result.ok) throw new Error(result.detail);
    expect(decoder.decode(result.bytes)).toBe(`${HEADER}\n{"type":"event"}\n{"m":"[email]"}`);
  });

  it('counts the new length in bytes, not characters', async () => {
    const payload = '{"m":"é a@b.com"}';
    const envelope = encoder.encode(
      `${HEADER}\n{"type":"event","length":${encoder.encode(payload).length}}\n${payload}`,
    );
    const result = await scrubEnvelope(envelope, scrubber);
    if (!result.ok) throw new Error(result.detail);
    expect(decoder.decode(result.bytes)).toBe(
      `${HEADER}\n{"type":"event","length":18}\n{"m":"é [email]"}`,
    );
  });

  it.each([
    [
      'an item header that is not JSON',
      `${HEADER}\nnot json\n{}`,
      "Item 1's header is not a JSON object.",
    ],
    [
      'an item header without a type',
      `${HEADER}\n{"length":2}\n{}`,
      "Item 1's header has no type.",
    ],
    [
      'a length past the end',
      `${HEADER}\n{"type":"event"}\n{}\n{"type":"attachment","length":50}\nshort`,
      'Item 2 declares 50 bytes but only 5 follow.',
    ],
    [
      'a length that is not a whole number',
      `${HEADER}\n{"type":"event","length":-1}\n{}`,
      "Item 1's length is not a whole number of bytes.",
    ],
  ])('refuses %s', async (_name, text, detail) => {
    expect(await scrubEnvelope(encoder.encode(text), scrubber)).toEqual({
      ok: false,
      code: 'envelope_invalid',
      detail,
    });
  });
});

describe('what scrubbing reads of one envelope', () => {
  const item = (type: string, payload: string): string =>
    `${JSON.stringify({ type, length: encoder.encode(payload).length })}\n${payload}\n`;
  const event = (padding: number): string => JSON.stringify({ message: 'x'.repeat(padding) });

  it('refuses an event item over 1 MiB with payload_too_large, as Sentry would refuse the event', async () => {
    expect(
      await scrubEnvelope(
        concat(HEADER, '\n', item('event', event(MAX_SCRUBBED_ITEM_BYTES - 20))),
        scrubber,
      ),
    ).toMatchObject({ ok: true });
    expect(
      await scrubEnvelope(
        concat(HEADER, '\n', item('event', event(MAX_SCRUBBED_ITEM_BYTES))),
        scrubber,
      ),
    ).toEqual({
      ok: false,
      code: 'payload_too_large',
      detail: `With scrubbing on, an event item may be at most ${MAX_SCRUBBED_ITEM_BYTES} bytes, and such items ${MAX_SCRUBBED_ENVELOPE_BYTES} bytes in all.`,
    });
  });

  it('refuses scrubbed items over 4 MiB in all, while an attachment of any size passes', async () => {
    const underItem = event(MAX_SCRUBBED_ITEM_BYTES - 20);
    const four = Array.from({ length: 4 }, () => item('log', underItem)).join('');
    expect(
      await scrubEnvelope(
        concat(HEADER, '\n', four, item('attachment', 'y'.repeat(8 * MAX_SCRUBBED_ITEM_BYTES))),
        scrubber,
      ),
    ).toMatchObject({ ok: true });
    expect(
      await scrubEnvelope(concat(HEADER, '\n', four, item('log', underItem)), scrubber),
    ).toMatchObject({ ok: false, code: 'payload_too_large' });
  });

  it('refuses an item nested deeper than 64 levels, which could not be serialised again', async () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    expect(await scrubEnvelope(concat(HEADER, '\n', item('event', deep)), scrubber)).toEqual({
      ok: false,
      code: 'envelope_invalid',
      detail: 'Item 1 nests deeper than 64 levels.',
    });
  });
});
