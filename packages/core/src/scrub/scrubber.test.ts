import { describe, expect, it } from 'vitest';
import { createHmac } from './hmac.js';
import { DEFAULT_HASH_KEY } from './rules.js';
import { compileScrubber } from './scrubber.js';

describe('methods on a value rule', () => {
  const text = 'write to ann@example.com today';
  async function apply(rule: string): Promise<unknown> {
    const value = { note: text };
    expect(await compileScrubber({ rules: [rule] }).scrub(value)).toBe(true);
    return value.note;
  }
  it('replace writes the rule text', async () =>
    expect(await apply('@email:replace')).toBe('write to [email] today'));
  it('mask stars each character of the match', async () =>
    expect(await apply('@email:mask')).toBe('write to *************** today'));
  it('filter writes [Filtered] in place of the match', async () =>
    expect(await apply('@email:filter')).toBe('write to [Filtered] today'));
  it('remove makes the whole value null', async () =>
    expect(await apply('@email:remove')).toBeNull());
  it('hash writes the HMAC of the match under the default key', async () => {
    const expected = await createHmac(DEFAULT_HASH_KEY)('ann@example.com');
    expect(await apply('@email:hash')).toBe(`write to ${expected} today`);
  });
  it('hash depends on hashKey', async () => {
    const value = { a: 'ann@example.com', b: 'ann@example.com' };
    await compileScrubber({ rules: ['@email:hash'], hashKey: 'k1' }).scrub(value);
    expect(value.a).toBe(await createHmac('k1')('ann@example.com'));
    expect(value.a).toBe(value.b);
    expect(value.a).not.toBe(await createHmac(DEFAULT_HASH_KEY)('ann@example.com'));
  });
  it('mask counts characters, not UTF-16 units', async () => {
    const value = { v: 'x 😀😀 y' };
    await compileScrubber({ rules: [{ pattern: '😀+', flags: 'u', method: 'mask' }] }).scrub(value);
    expect(value.v).toBe('x ** y');
  });
});

describe('key rules', () => {
  it('scrub the whole value of a sensitive key, whatever its type, keeping the shape of objects', async () => {
    const value = {
      password: 12345,
      token: true,
      auth: { user: 'a', pin: 7, nested: ['x', null] },
      ok: 'fine',
    };
    expect(await compileScrubber({ rules: ['@password'] }).scrub(value)).toBe(true);
    expect(value).toEqual({
      password: '[Filtered]',
      token: '[Filtered]',
      auth: { user: '[Filtered]', pin: '[Filtered]', nested: ['[Filtered]', null] },
      ok: 'fine',
    });
  });
  it('remove sets the value of a sensitive key to null', async () => {
    const value = { secret: { deep: 'x' }, name: 'n' };
    await compileScrubber({ rules: ['@password:remove'] }).scrub(value);
    expect(value).toEqual({ secret: null, name: 'n' });
  });
  it('replace, mask and hash apply to the whole value', async () => {
    const value = { password: 'hunter2' };
    await compileScrubber({ rules: ['@password:replace'] }).scrub(value);
    expect(value.password).toBe('[password]');
    const masked = { password: 'hunter2' };
    await compileScrubber({ rules: ['@password:mask'] }).scrub(masked);
    expect(masked.password).toBe('*******');
    const hashed = { password: 'hunter2' };
    await compileScrubber({ rules: ['@password:hash'], hashKey: 'k' }).scrub(hashed);
    expect(hashed.password).toBe(await createHmac('k')('hunter2'));
  });
  it('sensitiveKeys add keys as substrings or regex sources, with or without @password', async () => {
    const value = { mySekret: 'a', ssn_number: 'b', other: 'c', password: 'd' };
    await compileScrubber({ rules: [], sensitiveKeys: ['sekret', '^ssn_'] }).scrub(value);
    expect(value).toEqual({
      mySekret: '[Filtered]',
      ssn_number: '[Filtered]',
      other: 'c',
      password: 'd',
    });
    const withPassword = { mySekret: 'a', password: 'd' };
    await compileScrubber({ rules: ['@password:remove'], sensitiveKeys: ['sekret'] }).scrub(
      withPassword,
    );
    expect(withPassword).toEqual({ mySekret: null, password: null });
  });
  it('read [key, value] pair lists as keys', async () => {
    const value = {
      headers: [
        ['Authorization', 'Basic dXNlcjpwYXNz'],
        ['Accept', 'a@b.com'],
      ],
    };
    await compileScrubber({ rules: ['@password', '@email'] }).scrub(value);
    expect(value.headers).toEqual([
      ['Authorization', '[Filtered]'],
      ['Accept', '[email]'],
    ]);
  });
});

describe('safeFields', () => {
  it('exempt the whole value of a key, case-insensitively and exactly, even from sensitive keys', async () => {
    const value = {
      Session_ID: 'abc',
      session: 's',
      contact: { email: 'a@b.com' },
      Contact_Note: 'c@d.com',
    };
    await compileScrubber({
      rules: ['@password', '@email'],
      safeFields: ['session_id', 'contact'],
    }).scrub(value);
    expect(value).toEqual({
      Session_ID: 'abc',
      session: '[Filtered]',
      contact: { email: 'a@b.com' },
      Contact_Note: '[email]',
    });
  });
});

describe('custom patterns', () => {
  it('a bare string is a pattern replaced by [Filtered]; objects take flags, method and text', async () => {
    const value = { a: 'order ORD-1234 and ord-99', b: 'id=XY42' };
    await compileScrubber({
      rules: ['ORD-\\d+', { pattern: 'xy(\\d+)', flags: 'i', method: 'replace', text: '[id]' }],
    }).scrub(value);
    expect(value).toEqual({ a: 'order [Filtered] and ord-99', b: 'id=[id]' });
  });
  it('run after the built-ins and never see their output', async () => {
    const value = { v: 'https://bob:pw@example.com' };
    await compileScrubber({
      rules: [{ pattern: 'auth', method: 'mask' }, '@email', '@urlauth'],
    }).scrub(value);
    expect(value.v).toBe('https://[auth]@example.com');
  });
});

describe('the walk', () => {
  it('reports no change and leaves values when nothing matches', async () => {
    const value = { a: ['x', 1, null, { b: 'plain text 1.2.3' }], c: true };
    const copy = structuredClone(value);
    expect(await compileScrubber({ rules: ['@email', '@ip', '@password'] }).scrub(value)).toBe(
      false,
    );
    expect(value).toEqual(copy);
  });
  it('reaches nested arrays and objects', async () => {
    const value = { a: [{ b: [['c', { d: 'ip 10.1.2.3' }]] }] };
    expect(await compileScrubber({ rules: ['@ip'] }).scrub(value)).toBe(true);
    expect(value).toEqual({ a: [{ b: [['c', { d: 'ip [ip]' }]] }] });
  });
  it('does not count a rewrite to the same text as a change', async () => {
    const value = { password: '[Filtered]' };
    expect(await compileScrubber({ rules: ['@password'] }).scrub(value)).toBe(false);
  });
  it('leaves a bare top-level primitive, which cannot change in place', async () => {
    expect(await compileScrubber({ rules: ['@email'] }).scrub('a@b.com')).toBe(false);
  });
  it('survives nesting deeper than the call stack', async () => {
    const depth = 200_000;
    const value = JSON.parse(`${'['.repeat(depth)}"a@b.com"${']'.repeat(depth)}`) as unknown;
    expect(await compileScrubber({ rules: ['@email'] }).scrub(value)).toBe(true);
    let inner: unknown = value;
    for (let i = 0; i < depth; i++) inner = (inner as unknown[])[0];
    expect(inner).toBe('[email]');
  });
  it('writes own __proto__ and constructor keys as data, never through the prototype', async () => {
    const value = JSON.parse(
      '{"__proto__":{"password":"p","isAdmin":"a@b.com"},"constructor":{"prototype":{"token":"t"}},"x":{"__proto__":"c@d.com"}}',
    ) as Record<string, unknown>;
    expect(await compileScrubber({ rules: ['@password', '@email'] }).scrub(value)).toBe(true);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({
      password: '[Filtered]',
      isAdmin: '[email]',
    });
    expect(value.constructor).toEqual({ prototype: { token: '[Filtered]' } });
    const x = value.x as object;
    expect(Object.getPrototypeOf(x)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(x, '__proto__')?.value).toBe('[email]');
    expect(({} as Record<string, unknown>).password).toBeUndefined();
    expect(JSON.stringify(value)).toBe(
      '{"__proto__":{"password":"[Filtered]","isAdmin":"[email]"},"constructor":{"prototype":{"token":"[Filtered]"}},"x":{"__proto__":"[email]"}}',
    );
  });
  it('removes through an own __proto__ key without touching the prototype', async () => {
    const value = JSON.parse('{"__proto__":"a@b.com"}') as object;
    await compileScrubber({ rules: ['@email:remove'] }).scrub(value);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toBeNull();
  });
  it('never scrubs inherited properties', async () => {
    const value = Object.create({ inherited: 'a@b.com' }) as Record<string, unknown>;
    value.own = 'c@d.com';
    await compileScrubber({ rules: ['@email'] }).scrub(value);
    expect(value.own).toBe('[email]');
    expect(value.inherited).toBe('a@b.com');
  });
});
