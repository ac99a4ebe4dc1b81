import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { compileScrubber } from '../scrub/scrubber.js';
import {
  compileItemRules,
  compileTypeFilter,
  createEnvelopeRewriter,
  emptiedEnvelopeAnswer,
  type EnvelopeRewriter,
} from './item-rules.js';
import { MAX_READ_ENVELOPE_BYTES, MAX_READ_ITEM_BYTES } from './items.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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
  '{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://key@o1.ingest.sentry.io/1","sent_at":"2026-12-08T10:00:00.000Z"}';
// Binary, with newlines inside, and bytes that are not UTF-8.
const BINARY = new Uint8Array([0x00, 0x0a, 0xff, 0xfe, 0x0a, 0x41, 0xc3, 0x28, 0x0a]);

/** One item with its `length`, as the SDK writes it. */
function item(
  type: string,
  payload: string | Uint8Array,
  extra: Record<string, unknown> = {},
): Uint8Array {
  const bytes = typeof payload === 'string' ? encoder.encode(payload) : payload;
  return concat(JSON.stringify({ type, length: bytes.length, ...extra }), '\n', bytes, '\n');
}

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

async function run(rewrite: EnvelopeRewriter | undefined, bytes: Uint8Array) {
  if (!rewrite) throw new Error('no rewriter');
  const result = await rewrite(bytes);
  if (!result.ok) throw new Error(result.detail);
  return result;
}

const EVENT =
  '{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","message":"Payment failed","release":"web@2.3.9","environment":"production","server_name":"edge"}';
const REPLAY_EVENT = '{"type":"replay_event","replay_id":"r1"}';

describe('dropItems and allowItems', () => {
  it('removes the listed types byte-exactly: the header line and every other item stay as sent', async () => {
    const kept = [
      item('event', EVENT),
      item('attachment', BINARY, { filename: 'a.bin' }),
      item('session', '{"sid":"s1"}'),
    ];
    const envelope = concat(
      HEADER,
      '\n',
      kept[0] as Uint8Array,
      item('replay_event', REPLAY_EVENT),
      item('replay_recording', BINARY),
      kept[1] as Uint8Array,
      item('client_report', '{}'),
      kept[2] as Uint8Array,
    );
    const result = await run(
      compileItemRules({ dropItems: ['replay_event', 'replay_recording', 'client_report'] }),
      envelope,
    );
    expect(result).toMatchObject({ changed: true, emptied: false, dropped: { item_type: 3 } });
    expect(result.bytes).toEqual(concat(HEADER, '\n', ...kept));
  });

  it('keeps only the allowed types', async () => {
    const envelope = concat(
      HEADER,
      '\n',
      item('event', EVENT),
      item('session', '{}'),
      item('span', '{"version":2,"items":[]}', { item_count: 0 }),
      item('attachment', BINARY),
    );
    const result = await run(
      compileItemRules({ allowItems: ['event', 'transaction', 'span'] }),
      envelope,
    );
    expect(result.dropped).toEqual({ item_type: 2 });
    expect(result.bytes).toEqual(
      concat(
        HEADER,
        '\n',
        item('event', EVENT),
        item('span', '{"version":2,"items":[]}', { item_count: 0 }),
      ),
    );
  });

  it('removes items without a length, and one at the very end without its newline', async () => {
    const envelope = encoder.encode(
      `${HEADER}\n{"type":"client_report"}\n{"discarded_events":[]}\n{"type":"event"}\n{"message":"a"}\n{"type":"client_report"}\n{}`,
    );
    const result = await run(compileItemRules({ dropItems: ['client_report'] }), envelope);
    expect(decoder.decode(result.bytes)).toBe(`${HEADER}\n{"type":"event"}\n{"message":"a"}\n`);
  });

  it('reads profile_chunk_ui as profile_chunk, as Relay does', async () => {
    const envelope = concat(HEADER, '\n', item('profile_chunk_ui', '{}'), item('event', EVENT));
    expect((await run(compileItemRules({ dropItems: ['profile_chunk'] }), envelope)).bytes).toEqual(
      concat(HEADER, '\n', item('event', EVENT)),
    );
    expect(
      (await run(compileItemRules({ allowItems: ['profile_chunk_ui'] }), envelope)).bytes,
    ).toEqual(concat(HEADER, '\n', item('profile_chunk_ui', '{}')));
  });

  it('says when nothing is left, and returns the same bytes when nothing is removed', async () => {
    const rewrite = compileItemRules({ dropItems: ['client_report', 'replay_event'] });
    const emptied = await run(
      rewrite,
      concat(HEADER, '\n', item('client_report', '{}'), item('replay_event', REPLAY_EVENT)),
    );
    expect(emptied).toMatchObject({ emptied: true, dropped: { item_type: 2 } });
    expect(decoder.decode(emptied.bytes)).toBe(`${HEADER}\n`);
    const untouched = concat(HEADER, '\n', item('event', EVENT));
    expect(await run(rewrite, untouched)).toEqual({
      ok: true,
      bytes: untouched,
      changed: false,
      emptied: false,
    });
    // An envelope that came with no items is not one the relay emptied: it is forwarded as it is.
    const headerOnly = encoder.encode(HEADER);
    expect(await run(rewrite, headerOnly)).toEqual({
      ok: true,
      bytes: headerOnly,
      changed: false,
      emptied: false,
    });
  });

  it('refuses both options together, unknown types and an empty allow list at construction', () => {
    expect(() => compileTypeFilter({ dropItems: ['session'], allowItems: ['event'] })).toThrow(
      /^dropItems and allowItems: set one or the other, not both/,
    );
    expect(() => compileItemRules({ dropItems: ['replay'] })).toThrow(
      /^dropItems\[0\]: "replay" is not a Sentry envelope item type\. Known types: event, /,
    );
    expect(() => compileItemRules({ allowItems: ['event', 'events'] })).toThrow(
      /^allowItems\[1\]: "events"/,
    );
    expect(() => compileItemRules({ allowItems: [] })).toThrow(
      /^allowItems: list at least one item type/,
    );
    expect(() => compileItemRules({ dropItems: 'session' as never })).toThrow(
      /^dropItems: must be a list/,
    );
    expect(compileItemRules({ dropItems: [] })).toBeUndefined();
    expect(compileItemRules({})).toBeUndefined();
  });

  it('refuses an envelope whose items cannot be framed', async () => {
    const rewrite = compileItemRules({ dropItems: ['session'] }) as EnvelopeRewriter;
    expect(
      await rewrite(encoder.encode(`${HEADER}\n{"type":"session","length":50}\nshort`)),
    ).toEqual({
      ok: false,
      code: 'envelope_invalid',
      detail: 'Item 1 declares 50 bytes but only 5 follow.',
    });
    expect(await rewrite(encoder.encode(`${HEADER}\n{"length":2}\n{}`))).toEqual({
      ok: false,
      code: 'envelope_invalid',
      detail: "Item 1's header has no type.",
    });
  });
});

describe('removal is byte-exact on any envelope', () => {
  // Items of random types, binary payloads with newlines, with or without a length (those without get a
  // payload with no newline), and blank lines between them: a blank line is no item, and stays.
  const TYPES = ['event', 'session', 'attachment', 'replay_recording', 'client_report'];
  const payload = fc.uint8Array({ maxLength: 40 });
  const itemArbitrary = fc.record({
    type: fc.constantFrom(...TYPES),
    payload,
    withLength: fc.boolean(),
    blankAfter: fc.boolean(),
  });

  type Part = { type: string; payload: Uint8Array; withLength: boolean; blankAfter: boolean };
  function encode(parts: Part[], keep: (part: Part) => boolean): Uint8Array {
    const chunks = parts.map((part) => {
      const body = part.withLength
        ? part.payload
        : part.payload.map((byte) => (byte === 0x0a ? 0x20 : byte));
      const head = part.withLength ? { type: part.type, length: body.length } : { type: part.type };
      return concat(
        keep(part) ? concat(JSON.stringify(head), '\n', body, '\n') : '',
        part.blankAfter ? '\n' : '',
      );
    });
    return concat(HEADER, '\n', ...chunks);
  }

  it('keeps exactly the bytes of the items not dropped, in order', async () => {
    const rewrite = compileItemRules({
      dropItems: ['session', 'replay_recording'],
    }) as EnvelopeRewriter;
    await fc.assert(
      fc.asyncProperty(fc.array(itemArbitrary, { maxLength: 8 }), async (parts) => {
        const kept = (part: Part): boolean =>
          part.type !== 'session' && part.type !== 'replay_recording';
        const bytes = encode(parts, () => true);
        const result = await rewrite(bytes);
        if (!result.ok) throw new Error(result.detail);
        expect(result.bytes).toEqual(encode(parts, kept));
        if (parts.every(kept)) expect(result.bytes).toBe(bytes);
        const left = parts.filter(kept).length;
        expect(result.emptied).toBe(parts.length > 0 && left === 0);
        expect(result.dropped?.item_type ?? 0).toBe(parts.length - left);
      }),
      { numRuns: 500 },
    );
  });
});

describe('eventFilters', () => {
  const rewrite = compileItemRules({
    eventFilters: { errorMessages: ['*ResizeObserver loop*'], releases: ['legacy-*'] },
  });

  it('drops a matching event with the attachments of its envelope, before or after it, and keeps the rest', async () => {
    const filtered =
      '{"exception":{"values":[{"type":"Error","value":"ResizeObserver loop limit exceeded"}]}}';
    const session = item('session', '{"sid":"s1"}');
    const envelope = concat(
      HEADER,
      '\n',
      item('attachment', 'before'),
      item('event', filtered),
      session,
      item('attachment', BINARY),
    );
    const result = await run(rewrite, envelope);
    expect(result.dropped).toEqual({ error_message: 3 });
    expect(result.bytes).toEqual(concat(HEADER, '\n', session));
  });

  it('drops by release, and counts an event alone as emptying its envelope', async () => {
    const result = await run(
      rewrite,
      concat(HEADER, '\n', item('event', '{"message":"x","release":"LEGACY-1.0.3"}')),
    );
    expect(result).toMatchObject({ emptied: true, dropped: { release: 1 } });
  });

  it('forwards an event that matches nothing, and its attachment, byte for byte', async () => {
    const envelope = concat(HEADER, '\n', item('event', EVENT), item('attachment', BINARY));
    expect(await run(rewrite, envelope)).toEqual({
      ok: true,
      bytes: envelope,
      changed: false,
      emptied: false,
    });
  });

  it('leaves transactions, and events that are not JSON, alone', async () => {
    const envelope = concat(
      HEADER,
      '\n',
      item('transaction', '{"release":"legacy-1","message":"ResizeObserver loop"}'),
      item('event', '{"release":"legacy-1"'),
    );
    expect((await run(rewrite, envelope)).bytes).toBe(envelope);
  });
});

describe('serverContext', () => {
  const context = { release: 'web@2.4.0', serverName: 'tunnel-1', environment: 'production' };

  it('fills an event that lacks them and recomputes its length; every other item stays byte-identical', async () => {
    const bare = '{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","message":"é ok"}';
    const others = [
      item('attachment', BINARY, { filename: 'a.bin' }),
      item('transaction', '{"transaction":"/checkout"}'),
      item('session', '{}'),
    ];
    const envelope = concat(HEADER, '\n', item('event', bare), ...others);
    const result = await run(compileItemRules({ serverContext: context }), envelope);
    const enriched = {
      event_id: '9ec79c33ec9942ab8353589fcb2e04dc',
      message: 'é ok',
      release: 'web@2.4.0',
      server_name: 'tunnel-1',
      environment: 'production',
    };
    expect(result.bytes).toEqual(
      concat(HEADER, '\n', item('event', JSON.stringify(enriched)), ...others),
    );
    expect(readItems(result.bytes)[0]?.header).toEqual({
      type: 'event',
      length: encoder.encode(JSON.stringify(enriched)).length,
    });
  });

  it("keeps the browser's own values, and the bytes of an event that has them all", async () => {
    const envelope = concat(HEADER, '\n', item('event', EVENT));
    expect((await run(compileItemRules({ serverContext: context }), envelope)).bytes).toBe(
      envelope,
    );
  });

  it('writes no length where the item had none', async () => {
    const envelope = encoder.encode(`${HEADER}\n{"type":"event"}\n{"message":"a"}\n`);
    const result = await run(
      compileItemRules({ serverContext: { environment: 'production' } }),
      envelope,
    );
    expect(decoder.decode(result.bytes)).toBe(
      `${HEADER}\n{"type":"event"}\n{"message":"a","environment":"production"}\n`,
    );
  });

  it('is applied before the release filter, so the filter sees the release Sentry would', async () => {
    const rewrite = compileItemRules({
      serverContext: { release: 'legacy-9' },
      eventFilters: { releases: ['legacy-*'] },
    });
    expect(
      await run(rewrite, concat(HEADER, '\n', item('event', '{"message":"x"}'))),
    ).toMatchObject({ emptied: true, dropped: { release: 1 } });
  });
});

describe('one pass with scrubbing', () => {
  it('parses and serialises an event once for enrichment, filters and scrubbing together', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      const rewrite = compileItemRules({
        scrub: { rules: ['@email'] },
        serverContext: { environment: 'production' },
        eventFilters: { errorMessages: ['nothing*'] },
      }) as EnvelopeRewriter;
      const envelope = concat(HEADER, '\n', item('event', '{"message":"from ann@example.com"}'));
      parse.mockClear();
      stringify.mockClear();
      const result = await rewrite(envelope);
      if (!result.ok) throw new Error(result.detail);
      // One parse for the item header, one for the payload; one serialisation of each.
      expect(parse).toHaveBeenCalledTimes(2);
      expect(stringify).toHaveBeenCalledTimes(2);
      expect(JSON.parse(decoder.decode(readItems(result.bytes)[0]?.payload))).toEqual({
        message: 'from [email]',
        environment: 'production',
      });
    } finally {
      parse.mockRestore();
      stringify.mockRestore();
    }
  });

  it('filters on the message as sent, before scrubbing changes it', async () => {
    const rewrite = compileItemRules({
      scrub: { rules: ['@email'] },
      eventFilters: { errorMessages: ['*@example.com*'] },
    });
    expect(
      await run(rewrite, concat(HEADER, '\n', item('event', '{"message":"from ann@example.com"}'))),
    ).toMatchObject({ emptied: true, dropped: { error_message: 1 } });
  });

  it('scrubs what it scrubbed before when only scrub is set', async () => {
    const rewrite = createEnvelopeRewriter({ scrubber: compileScrubber({ rules: ['@email'] }) });
    const result = await run(
      rewrite,
      concat(
        HEADER,
        '\n',
        item('log', '{"items":[{"body":"a@b.com"}]}'),
        item('replay_event', '{"u":"a@b.com"}'),
      ),
    );
    expect(decoder.decode(result.bytes)).toContain('[email]');
    expect(decoder.decode(result.bytes)).toContain('{"u":"a@b.com"}');
  });
});

describe('what the item options read of one envelope', () => {
  const event = (padding: number): string => JSON.stringify({ message: 'x'.repeat(padding) });
  const rewrite = compileItemRules({
    eventFilters: { releases: ['legacy-*'] },
  }) as EnvelopeRewriter;

  it('refuses an event item over 1 MiB once event filters or server context read events', async () => {
    expect(
      await rewrite(concat(HEADER, '\n', item('event', event(MAX_READ_ITEM_BYTES - 20)))),
    ).toMatchObject({ ok: true });
    expect(await rewrite(concat(HEADER, '\n', item('event', event(MAX_READ_ITEM_BYTES))))).toEqual({
      ok: false,
      code: 'payload_too_large',
      detail: `With eventFilters on, an event item may be at most ${MAX_READ_ITEM_BYTES} bytes, and such items ${MAX_READ_ENVELOPE_BYTES} bytes in all.`,
    });
    const both = compileItemRules({
      scrub: { rules: ['@email'] },
      serverContext: { release: 'r' },
    }) as EnvelopeRewriter;
    expect(
      await both(concat(HEADER, '\n', item('event', event(MAX_READ_ITEM_BYTES)))),
    ).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^With scrub and serverContext on, an event item/),
    });
  });

  it('refuses event items over 4 MiB in all, while items of other types, and dropped ones, are never read', async () => {
    const under = item('event', event(MAX_READ_ITEM_BYTES - 20));
    const four = concat(under, under, under, under);
    expect(
      await rewrite(
        concat(HEADER, '\n', four, item('transaction', 'y'.repeat(8 * MAX_READ_ITEM_BYTES))),
      ),
    ).toMatchObject({ ok: true });
    expect(await rewrite(concat(HEADER, '\n', four, under))).toMatchObject({
      ok: false,
      code: 'payload_too_large',
    });
    const dropping = compileItemRules({
      dropItems: ['event'],
      serverContext: { release: 'r' },
    }) as EnvelopeRewriter;
    expect(
      await dropping(
        concat(
          HEADER,
          '\n',
          item('event', 'y'.repeat(2 * MAX_READ_ITEM_BYTES)),
          item('session', '{}'),
        ),
      ),
    ).toMatchObject({ ok: true, dropped: { item_type: 1 } });
  });

  it('refuses an event nested deeper than 64 levels', async () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    expect(await rewrite(concat(HEADER, '\n', item('event', deep)))).toEqual({
      ok: false,
      code: 'envelope_invalid',
      detail: 'Item 1 nests deeper than 64 levels.',
    });
  });
});

describe('emptiedEnvelopeAnswer', () => {
  it.each([
    [{ event_id: '9ec79c33ec9942ab8353589fcb2e04dc' }, '{"id":"9ec79c33ec9942ab8353589fcb2e04dc"}'],
    [
      { event_id: '9EC79C33-EC99-42AB-8353-589FCB2E04DC' },
      '{"id":"9ec79c33ec9942ab8353589fcb2e04dc"}',
    ],
    [{ event_id: 'not-an-id' }, '{}'],
    [{ event_id: 42 }, '{}'],
    [{}, '{}'],
  ])('answers %j with 200 %s, as Relay answers an envelope with no items', (header, body) => {
    const response = emptiedEnvelopeAnswer(
      { dsn: 'x', ...header },
      { vary: 'Origin' },
      { item_type: 2 },
    );
    expect(response).toEqual({
      status: 200,
      headers: {
        vary: 'Origin',
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      },
      body,
      summary: { dropped: { item_type: 2 } },
    });
  });
});
