import { describe, expect, it } from 'vitest';
import { envelopeUrl, formatDsn, parseDsn } from './dsn.js';

describe('parseDsn', () => {
  it('normalises scheme and host case and the default port, ignoring a legacy secret key', () => {
    const plain = parseDsn('https://abc123@o1.ingest.sentry.io/42');
    expect(plain?.key).toBe('https://abc123@o1.ingest.sentry.io:443/42');
    expect(parseDsn('HTTPS://abc123@O1.Ingest.Sentry.IO:443/42')?.key).toBe(plain?.key);
    expect(parseDsn('https://abc123:oldsecret@o1.ingest.sentry.io/42')?.key).toBe(plain?.key);
  });

  it('keeps public key, project, port, path prefix and scheme apart', () => {
    const keys = [
      'https://abc123@o1.ingest.sentry.io/42',
      'https://ABC123@o1.ingest.sentry.io/42',
      'https://abc123@o1.ingest.sentry.io/43',
      'https://abc123@o1.ingest.sentry.io:8443/42',
      'https://abc123@o1.ingest.sentry.io/sentry/42',
      'http://abc123@o1.ingest.sentry.io/42',
      'https://abc123@o1.ingest.sentry.io./42',
    ].map((value) => parseDsn(value)?.key);
    expect(keys.every((key) => key !== undefined)).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each([
    ['not a URL', 'not a dsn'],
    ['no public key', 'https://o1.ingest.sentry.io/42'],
    ['a non-numeric project', 'https://abc@o1.ingest.sentry.io/project'],
    ['a trailing slash', 'https://abc@o1.ingest.sentry.io/42/'],
    ['a query', 'https://abc@o1.ingest.sentry.io/42?x=1'],
    ['a fragment', 'https://abc@o1.ingest.sentry.io/42#x'],
    ['surrounding spaces', ' https://abc@o1.ingest.sentry.io/42'],
    ['another scheme', 'ftp://abc@o1.ingest.sentry.io/42'],
    ['a percent-encoded project', 'https://abc@o1.ingest.sentry.io/%34%32'],
    ['a key with a slash-like escape', 'https://a%2Fb@o1.ingest.sentry.io/42'],
  ])('refuses %s', (_what, value) => {
    expect(parseDsn(value)).toBeNull();
  });
});

describe('envelopeUrl', () => {
  it('builds the envelope endpoint from the DSN alone', () => {
    expect(envelopeUrl(parseDsn('https://abc@o1.ingest.sentry.io/42')!)).toBe(
      'https://o1.ingest.sentry.io/api/42/envelope/?sentry_version=7&sentry_key=abc',
    );
    expect(envelopeUrl(parseDsn('http://abc@127.0.0.1:9000/sentry/7')!)).toBe(
      'http://127.0.0.1:9000/sentry/api/7/envelope/?sentry_version=7&sentry_key=abc',
    );
    expect(envelopeUrl(parseDsn('http://abc@[::1]:9000/7')!)).toBe(
      'http://[::1]:9000/api/7/envelope/?sentry_version=7&sentry_key=abc',
    );
  });

  it('writes a DSN back without its secret key or default port', () => {
    expect(formatDsn(parseDsn('https://abc:secret@O1.example:443/p/42')!)).toBe(
      'https://abc@o1.example/p/42',
    );
  });
});
