import { describe, expect, it } from 'vitest';
import { compileServerContext } from './enrich.js';
import { compileEventFilter, eventMessages, eventRelease } from './event-filter.js';

describe("eventMessages: what Sentry's error-message filter reads", () => {
  it.each([
    ['a string message', { message: 'Payment failed' }, ['Payment failed']],
    [
      'logentry.formatted before logentry.message',
      { logentry: { formatted: 'Hello Ann', message: 'Hello %s' } },
      ['Hello Ann'],
    ],
    [
      'logentry.message without formatted',
      { logentry: { message: 'Hello %s', params: ['Ann'] } },
      ['Hello %s'],
    ],
    ['a message object (the legacy key for logentry)', { message: { formatted: 'x' } }, ['x']],
    [
      'every spelling of logentry, so no alias hides a message',
      { logentry: { formatted: 'a' }, 'sentry.interfaces.Message': { message: 'c' }, message: 'b' },
      ['a', 'c', 'b'],
    ],
    [
      'the legacy name of exception',
      { 'sentry.interfaces.Exception': { values: [{ type: 'E', value: 'v' }] } },
      ['E: v'],
    ],
    [
      'type: value of every exception',
      {
        exception: {
          values: [
            { type: 'TypeError', value: 'x is undefined' },
            { type: 'Error' },
            { value: 'only a value' },
            { type: '', value: '' },
          ],
        },
      },
      ['TypeError: x is undefined', 'Error', 'only a value', ''],
    ],
    ['the legacy list form of exception', { exception: [{ type: 'E', value: 'v' }] }, ['E: v']],
    [
      'a message and an exception',
      { message: 'm', exception: { values: [{ type: 'E', value: 'v' }] } },
      ['m', 'E: v'],
    ],
    ['nothing readable', { message: 3, exception: { values: 'no' } }, []],
  ])('%s', (_name, event, expected) => {
    expect(eventMessages(event as Record<string, unknown>)).toEqual(expected);
  });

  it('reads a release as Relay does: a string, or a number taken as its text', () => {
    expect(eventRelease({ release: 'web@1.2.3' })).toBe('web@1.2.3');
    expect(eventRelease({ release: 123 })).toBe('123');
    expect(eventRelease({ release: null })).toBe('');
    expect(eventRelease({})).toBe('');
  });
});

describe('compileEventFilter', () => {
  const filter = compileEventFilter({
    errorMessages: ['*ResizeObserver loop*', 'TypeError: Failed to fetch'],
    releases: ['legacy-*', '1.2.*'],
  });

  it('drops by message, exception, or release, case-insensitively, and keeps the rest', () => {
    expect(
      filter?.({ message: 'resizeobserver LOOP completed with undelivered notifications.' }),
    ).toBe('error_message');
    expect(
      filter?.({ exception: { values: [{ type: 'typeerror', value: 'failed to fetch' }] } }),
    ).toBe('error_message');
    expect(
      filter?.({
        exception: { values: [{ type: 'TypeError', value: 'Failed to fetch (api.example)' }] },
      }),
    ).toBeUndefined();
    expect(filter?.({ message: 'Payment failed', release: 'Legacy-0.9' })).toBe('release');
    expect(filter?.({ release: '1.2.3' })).toBe('release');
    expect(filter?.({ release: '1.20.0' })).toBeUndefined();
    expect(filter?.({ message: 'Payment failed', release: 'web@2.0.0' })).toBeUndefined();
  });

  it('filters nothing when no pattern is given', () => {
    expect(compileEventFilter(undefined)).toBeUndefined();
    expect(compileEventFilter({})).toBeUndefined();
    expect(compileEventFilter({ errorMessages: [], releases: [] })).toBeUndefined();
  });

  it('refuses what is not a filter, naming the key', () => {
    expect(() => compileEventFilter({ messages: ['x'] } as never)).toThrow(
      /^eventFilters\.messages: is not an event filter/,
    );
    expect(() => compileEventFilter({ errorMessages: 'x' } as never)).toThrow(
      /^eventFilters\.errorMessages: must be a list/,
    );
    expect(() => compileEventFilter({ releases: ['1.*', ''] })).toThrow(
      /^eventFilters\.releases\[1\]: must be a non-empty glob/,
    );
    expect(() => compileEventFilter(['x'] as never)).toThrow(/^eventFilters: must be an object/);
  });
});

describe('compileServerContext', () => {
  const enrich = compileServerContext({
    release: 'web@2.4.0',
    serverName: 'tunnel-1',
    environment: 'production',
  });

  it('sets what the event lacks and keeps what the browser sent', () => {
    const bare: Record<string, unknown> = { message: 'x', release: null, environment: '' };
    expect(enrich?.(bare)).toBe(true);
    expect(bare).toEqual({
      message: 'x',
      release: 'web@2.4.0',
      environment: 'production',
      server_name: 'tunnel-1',
    });
    const own: Record<string, unknown> = {
      release: 'web@2.3.9',
      environment: 'staging',
      server_name: 'edge',
    };
    expect(enrich?.(own)).toBe(false);
    expect(own).toEqual({ release: 'web@2.3.9', environment: 'staging', server_name: 'edge' });
  });

  it('sets nothing when no field is given', () => {
    expect(compileServerContext(undefined)).toBeUndefined();
    expect(compileServerContext({})).toBeUndefined();
  });

  it.each([
    [{ release: '' }, /^serverContext\.release: must not be blank/],
    [{ release: 'web/2' }, /^serverContext\.release: must not contain \/ or \\/],
    [{ release: '..' }, /^serverContext\.release: must not be \. or \.\./],
    [{ release: 'a'.repeat(201) }, /^serverContext\.release: must be at most 200/],
    [{ environment: 'prod\n' }, /^serverContext\.environment: must not contain control characters/],
    [{ environment: 'None' }, /^serverContext\.environment: must not be "None"/],
    [{ environment: 'e'.repeat(65) }, /^serverContext\.environment: must be at most 64/],
    [{ serverName: 42 }, /^serverContext\.serverName: must be a string/],
    [{ server_name: 'x' }, /^serverContext\.server_name: is not a server context field/],
  ])('refuses %j', (context, message) => {
    expect(() => compileServerContext(context as never)).toThrow(message);
  });
});
