import { describe, expect, it } from 'vitest';
import { checkEvent } from './validate.js';

const base = { event_id: 'evt-1', timestamp: '2026-11-23T10:00:00.123Z' };

/** One minimal valid event of each browser type. */
const VALID = {
  frontend_exception: { type: 'frontend_exception', ...base, exception: { message: 'boom' } },
  error_suppressed: { type: 'error_suppressed', ...base, exception: { message: 'boom' }, suppressed_by: 'ErrorBoundary' },
  frontend_breadcrumb: { type: 'frontend_breadcrumb', ...base, breadcrumb: { category: 'ui.click' } },
  request_event: { type: 'request_event', ...base, request: { method: 'GET', url: '/api', status_code: null } },
  probe_event: { type: 'probe_event', ...base, probe: { name: 'checkout', status: 'ok', duration_ms: 0 } },
} satisfies Record<string, Record<string, unknown>>;

describe('checkEvent', () => {
  it.each(Object.entries(VALID))('accepts a minimal %s and returns the same object', (_type, event) => {
    const result = checkEvent(event);
    expect(result).toEqual({ ok: true, event });
    expect(result.ok && result.event).toBe(event);
  });

  it('accepts keys the schema does not list (they are removed later, not refused)', () => {
    expect(checkEvent({ ...VALID.probe_event, project_token: 'client-sent', organization_id: 7 }).ok).toBe(true);
  });

  it.each([null, 42, 'frontend_exception', true, [VALID.probe_event]])('refuses %j as event_not_object', (item) => {
    expect(checkEvent(item)).toEqual({ ok: false, code: 'event_not_object', message: 'event must be a JSON object' });
  });

  it.each([{}, { type: 1 }, { type: null }, { type: ['probe_event'] }, { type: { name: 'probe_event' } }])('refuses %j as event_type_missing', (item) => {
    expect(checkEvent(item)).toEqual({ ok: false, code: 'event_type_missing', message: 'event has no string "type"' });
  });

  it.each(['backend_exception', 'log_event'])('refuses the server-only type %s by name', (type) => {
    expect(checkEvent({ ...base, type })).toEqual({
      ok: false,
      code: 'event_type_server_only',
      message: `event type "${type}" is accepted only from server SDKs`,
    });
  });

  it.each(['', 'Frontend_Exception', 'custom', '__proto__', 'constructor', 'toString', 'hasOwnProperty'])('refuses the unknown type %j', (type) => {
    expect(checkEvent({ ...base, type })).toEqual({ ok: false, code: 'event_type_unknown', message: `event type "${type}" is not accepted` });
  });

  it('quotes at most 64 characters of an unknown type', () => {
    const type = 'x'.repeat(65) + 'TAIL';
    expect(checkEvent({ type })).toEqual({ ok: false, code: 'event_type_unknown', message: `event type "${'x'.repeat(64)}" is not accepted` });
  });

  it.each([
    ['a missing required field', { type: 'probe_event', event_id: 'e', timestamp: base.timestamp }, "probe_event: (event) must have required property 'probe'"],
    ['an empty event_id', { ...VALID.probe_event, event_id: '' }, 'probe_event: /event_id must NOT have fewer than 1 characters'],
    ['a timestamp that is not RFC 3339', { ...VALID.probe_event, timestamp: 'yesterday' }, 'probe_event: /timestamp must match pattern'],
    ['a bad enum value', { ...VALID.probe_event, probe: { name: 'p', status: 'meh' } }, 'probe_event: /probe/status must be equal to one of the allowed values'],
    ['a negative duration', { ...VALID.probe_event, probe: { name: 'p', status: 'ok', duration_ms: -1 } }, 'probe_event: /probe/duration_ms must be >= 0'],
    ['a correlation that is not an object', { ...VALID.frontend_breadcrumb, correlation: 'abc' }, 'frontend_breadcrumb: /correlation must be object'],
    ['an array where an object belongs', { ...VALID.frontend_exception, exception: ['boom'] }, 'frontend_exception: /exception must be object'],
    ['a wrong level', { ...VALID.frontend_exception, level: 'critical' }, 'frontend_exception: /level must be equal to one of the allowed values'],
    ['a non-string tag', { ...VALID.request_event, tags: { a: 1 } }, 'request_event: /tags/a must be string'],
    ['a fractional status code', { ...VALID.request_event, request: { method: 'GET', url: '/', status_code: 200.5 } }, 'request_event: /request/status_code must be integer,null'],
  ])('refuses %s as event_invalid with the first error', (_name, item, message) => {
    const result = checkEvent(item);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('event_invalid');
    expect(result.message.startsWith(message)).toBe(true);
  });

  it('names the missing field exactly', () => {
    expect(checkEvent({ type: 'frontend_exception', ...base })).toEqual({
      ok: false,
      code: 'event_invalid',
      message: "frontend_exception: (event) must have required property 'exception'",
    });
  });

  it('does not quote the value that failed', () => {
    const result = checkEvent({ ...VALID.probe_event, timestamp: 'SECRET-VALUE' });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('SECRET-VALUE');
  });
});
