import { describe, expect, it } from 'vitest';
import { nestsDeeperThan } from '../json-depth.js';
import { parseBatch } from './batch.js';

const bytes = (value: string): Uint8Array => new TextEncoder().encode(value);

describe('parseBatch', () => {
  it('returns the items of a batch', () => {
    expect(parseBatch(bytes('{"batch":[{"type":"x"},1,null]}'))).toEqual({
      ok: true,
      items: [{ type: 'x' }, 1, null],
    });
  });

  it('accepts a UTF-8 byte order mark and multi-byte text', () => {
    expect(parseBatch(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('{"batch":["é"]}')]))).toEqual({
      ok: true,
      items: ['é'],
    });
  });

  const invalidJson = { ok: false, code: 'invalid_json', detail: 'It must be UTF-8 encoded JSON.' };

  it.each([
    ['empty', new Uint8Array(0)],
    ['truncated', bytes('{"batch":[')],
    ['not JSON', bytes('batch=SECRET-BODY-TEXT')],
    ['trailing garbage', bytes('{"batch":[1]} SECRET-BODY-TEXT')],
    // Valid JSON around bytes that are not UTF-8 (a lone 0xff, an overlong encoding, a lone surrogate).
    [
      'a lone 0xff byte',
      new Uint8Array([...bytes('{"batch":["SECRET-BODY-TEXT'), 0xff, ...bytes('"]}')]),
    ],
    [
      'an overlong encoding',
      new Uint8Array([...bytes('{"batch":["SECRET-BODY-TEXT'), 0xc0, 0xaf, ...bytes('"]}')]),
    ],
    [
      'an encoded surrogate',
      new Uint8Array([...bytes('{"batch":["SECRET-BODY-TEXT'), 0xed, 0xa0, 0x80, ...bytes('"]}')]),
    ],
    [
      'UTF-16',
      new Uint8Array([0xff, 0xfe, ...Array.from(bytes('{"batch":[1]}')).flatMap((b) => [b, 0])]),
    ],
  ])('refuses %s as invalid_json, without quoting the body', (_name, body) => {
    const result = parseBatch(body);
    // Exact equality: the detail is a fixed sentence, so no part of the body can be in it.
    expect(result).toEqual(invalidJson);
    expect(JSON.stringify(result)).not.toContain('SECRET');
  });

  it.each([
    ['an array', '[{"batch":[]}]', 'It is JSON, but not an object.'],
    ['null', 'null', 'It is JSON, but not an object.'],
    ['a string', '"batch"', 'It is JSON, but not an object.'],
    ['a number', '42', 'It is JSON, but not an object.'],
    ['no batch', '{"events":[1]}', 'Its "batch" field is missing or not an array.'],
    ['a batch object', '{"batch":{"0":1}}', 'Its "batch" field is missing or not an array.'],
    ['a batch string', '{"batch":"[1]"}', 'Its "batch" field is missing or not an array.'],
    ['a null batch', '{"batch":null}', 'Its "batch" field is missing or not an array.'],
  ])('refuses %s as invalid_body', (_name, body, detail) => {
    expect(parseBatch(bytes(body))).toEqual({ ok: false, code: 'invalid_body', detail });
  });

  it('refuses an empty batch as batch_empty', () => {
    expect(parseBatch(bytes('{"batch":[]}'))).toEqual({
      ok: false,
      code: 'batch_empty',
      detail: 'Send at least one event.',
    });
  });

  it('does not read "batch" from the prototype chain', () => {
    expect(parseBatch(bytes('{"__proto__":{"batch":[1]}}'))).toEqual({
      ok: false,
      code: 'invalid_body',
      detail: 'Its "batch" field is missing or not an array.',
    });
  });
});

describe('nesting depth', () => {
  const nested = (depth: number, open = '[', close = ']') =>
    `{"batch":[${open.repeat(depth)}${close.repeat(depth)}]}`;

  it('refuses a body nested deeper than 64 levels as invalid_json, before JSON.stringify could overflow on it', () => {
    // {"batch":[ is two levels: 62 more arrays make 64, one more makes 65.
    expect(parseBatch(bytes(nested(62)))).toEqual({
      ok: true,
      items: [JSON.parse('['.repeat(62) + ']'.repeat(62))],
    });
    expect(parseBatch(bytes(nested(63)))).toEqual({
      ok: false,
      code: 'invalid_json',
      detail: 'It nests deeper than 64 levels.',
    });
    expect(parseBatch(bytes(nested(5000, '{"a":', '}')))).toEqual({
      ok: false,
      code: 'invalid_json',
      detail: 'It nests deeper than 64 levels.',
    });
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = `{"batch":["${'['.repeat(100)}\\"${'{'.repeat(100)}"]}`;
    expect(nestsDeeperThan(bytes(text), 64)).toBe(false);
    expect(parseBatch(bytes(text)).ok).toBe(true);
  });

  it('counts brackets after a string that ends in an escaped backslash', () => {
    const text = `{"a":"x\\\\",${'['.repeat(64)}${']'.repeat(64)}}`;
    expect(nestsDeeperThan(bytes(text), 64)).toBe(true);
    expect(nestsDeeperThan(bytes(text), 65)).toBe(false);
  });

  it('reads the bytes as a character-by-character scan reads the text, multi-byte characters included', () => {
    const reference = (text: string, max: number): boolean => {
      let depth = 0;
      let inString = false;
      for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{' || c === '[') {
          if (++depth > max) return true;
        } else if (c === '}' || c === ']') depth--;
      }
      return false;
    };
    // Characters of two, three and four UTF-8 bytes: none of their bytes may pass for a quote or a bracket.
    const alphabet = ['"', '\\', '[', '{', ']', '}', 'a', ',', 'é', '€', '😀'];
    let seed = 7;
    const next = () => {
      seed = (seed * 48271) % 2147483647;
      return seed;
    };
    let deep = 0;
    for (let n = 0; n < 5000; n++) {
      let text = '';
      const length = next() % 60;
      for (let i = 0; i < length; i++) text += alphabet[next() % alphabet.length];
      const expected = reference(text, 3);
      if (expected) deep++;
      expect(nestsDeeperThan(bytes(text), 3), text).toBe(expected);
    }
    // Both answers occur, so the comparison tells them apart.
    expect(deep).toBeGreaterThan(100);
    expect(deep).toBeLessThan(4900);
  });
});
