import { describe, expect, it } from 'vitest';
import { readEnvelopeHeader, repeatedTopLevelKey } from './envelope-header.js';

const encoder = new TextEncoder();
const DSN = 'https://key@o1.ingest.sentry.io/42';

describe('repeatedTopLevelKey', () => {
  it.each([
    ['two dsn keys', `{"dsn":"${DSN}","dsn":"https://other@evil.example/1"}`, 'dsn'],
    [
      'an escaped spelling of dsn',
      `{"dsn":"${DSN}","d\\u0073n":"https://other@evil.example/1"}`,
      'dsn',
    ],
    ['both spellings escaped', '{"\\u0064sn":"a","ds\\u006e":"b"}', 'dsn'],
    ['another key twice', '{"dsn":"a","sent_at":"x","sent_at":"y"}', 'sent_at'],
    ['a key holding an escaped quote', '{"a\\"b":1,"a\\"b":2}', 'a"b'],
    ['an empty key twice', '{"":1,"":2}', ''],
  ])('finds %s', (_name, text, key) => {
    expect(repeatedTopLevelKey(text)).toBe(key);
  });

  it.each([
    ['distinct keys', `{"dsn":"${DSN}","event_id":"x","trace":{"dsn":"nested","dsn ":"x"}}`],
    [
      'the same key in nested objects and arrays',
      '{"a":{"k":1},"b":{"k":1},"c":[{"k":1},{"k":2}],"k":[{"k":1,"x":{"k":2}}]}',
    ],
    ['keys inside string values', '{"dsn":"{\\"dsn\\":1, \\"dsn\\":2}","x":"a,\\"dsn\\":"}'],
    ['keys that differ only in case', '{"dsn":"a","DSN":"b"}'],
    ['a backslash right before a closing quote', '{"a":"\\\\","b":"\\\\"}'],
  ])('finds nothing in %s', (_name, text) => {
    expect(repeatedTopLevelKey(text)).toBeUndefined();
  });

  it('reads a 64 KiB header of many keys in one pass', () => {
    const keys = Array.from({ length: 4000 }, (_, index) => `"k${index}":"${'v'.repeat(8)}"`);
    const started = performance.now();
    expect(repeatedTopLevelKey(`{${keys.join(',')}}`)).toBeUndefined();
    expect(repeatedTopLevelKey(`{${keys.join(',')},"k0":1}`)).toBe('k0');
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('readEnvelopeHeader', () => {
  it('refuses a header naming dsn twice, whichever spelling, with envelope_invalid', () => {
    const read = readEnvelopeHeader(
      encoder.encode(
        `{"dsn":"https://other@evil.example/1","d\\u0073n":"${DSN}"}\n{"type":"event"}\n{}`,
      ),
    );
    expect(read).toEqual({
      ok: false,
      code: 'envelope_invalid',
      detail: 'The header names "dsn" more than once.',
    });
  });

  it('reads a header with its dsn once', () => {
    const read = readEnvelopeHeader(
      encoder.encode(`{"dsn":"${DSN}","trace":{"public_key":"key"}}\n{"type":"event"}\n{}`),
    );
    expect(read).toMatchObject({ ok: true, dsn: DSN });
  });

  it.each([
    ['forwarded_for', `{"dsn":"${DSN}","forwarded_for":"198.51.100.7"}`],
    ['remote_addr', `{"dsn":"${DSN}","remote_addr":"198.51.100.7"}`],
    [
      'an escaped spelling of forwarded_for',
      `{"dsn":"${DSN}","forwarded\\u005ffor":"198.51.100.7"}`,
    ],
    ['origin', `{"dsn":"${DSN}","origin":"https://evil.example"}`],
    ['user_agent', `{"dsn":"${DSN}","user_agent":"${'x'.repeat(2000)}"}`],
    ['client_hints', `{"dsn":"${DSN}","client_hints":{"sec_ch_ua":"x"}}`],
    ['client', `{"dsn":"${DSN}","client":"sentry.python/1.0"}`],
    ['version', `{"dsn":"${DSN}","version":7}`],
    ['no_cache', `{"dsn":"${DSN}","no_cache":true}`],
  ])(
    'refuses a header holding %s, which Relay would read over the request the tunnel sends',
    (_name, line) => {
      const read = readEnvelopeHeader(encoder.encode(`${line}\n{"type":"event"}\n{}`));
      expect(read).toMatchObject({ ok: false, code: 'envelope_invalid' });
    },
  );

  it('reads forwarded_for nested in another key as data', () => {
    const read = readEnvelopeHeader(
      encoder.encode(`{"dsn":"${DSN}","trace":{"forwarded_for":"x"}}\n`),
    );
    expect(read).toMatchObject({ ok: true, dsn: DSN });
  });
});
