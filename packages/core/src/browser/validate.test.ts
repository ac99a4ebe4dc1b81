import { sampleEvent, type BrowserEventType } from '@postern/conformance';
import { describe, expect, it } from 'vitest';
import type { SanitiseConfig } from './sanitise.js';
import { checkEvent } from './validate.js';

const config: SanitiseConfig = {
  sdkName: '@debugbundle/sdk-browser',
  service: undefined,
  environment: undefined,
};
const TYPES: BrowserEventType[] = [
  'frontend_exception',
  'error_suppressed',
  'frontend_breadcrumb',
  'request_event',
  'probe_event',
  'analytics_event',
];

/** A sample event with one value replaced at a path (`undefined` removes the key). */
function edited(type: BrowserEventType, path: string[], value: unknown): Record<string, unknown> {
  const event = structuredClone(sampleEvent(type)) as Record<string, unknown>;
  let at: Record<string, unknown> = event;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return event;
}

describe('checkEvent', () => {
  it.each(TYPES)("accepts a %s in DebugBundle's format and returns the same object", (type) => {
    const event = sampleEvent(type);
    const snapshot = structuredClone(event);
    const result = checkEvent(event, config);
    expect(result).toEqual({ ok: true, event: snapshot });
    expect(result.ok && result.event).toBe(event);
  });

  it.each([null, 42, 'frontend_exception', true, [{}]])(
    'refuses %j as event_not_object',
    (item) => {
      expect(checkEvent(item, config)).toEqual({
        ok: false,
        code: 'event_not_object',
        message: 'event must be a JSON object',
      });
    },
  );

  it.each([
    {},
    { event_type: 1 },
    { event_type: null },
    { event_type: ['probe_event'] },
    { type: 'frontend_exception', event_id: 'e', timestamp: '2026-11-23T10:00:00Z' },
  ])('refuses %j as event_type_missing (v1 events named their type "type")', (item) => {
    expect(checkEvent(item, config)).toEqual({
      ok: false,
      code: 'event_type_missing',
      message: 'event has no string "event_type"',
    });
  });

  it.each(['backend_exception', 'log_event', 'deploy_metadata'])(
    'refuses the server-only type %s by name',
    (type) => {
      expect(checkEvent({ ...sampleEvent('request_event'), event_type: type }, config)).toEqual({
        ok: false,
        code: 'event_type_server_only',
        message: `event type "${type}" is accepted only from server SDKs`,
      });
    },
  );

  it.each([
    '',
    'Frontend_Exception',
    'custom',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
  ])('refuses the unknown type %j', (type) => {
    expect(checkEvent({ event_type: type }, config)).toEqual({
      ok: false,
      code: 'event_type_unknown',
      message: `event type "${type}" is not accepted`,
    });
  });

  it('quotes at most 64 characters of an unknown type', () => {
    const type = `${'x'.repeat(65)}TAIL`;
    expect(checkEvent({ event_type: type }, config)).toEqual({
      ok: false,
      code: 'event_type_unknown',
      message: `event type "${'x'.repeat(64)}" is not accepted`,
    });
  });

  it.each([
    [
      'an event_id that is not a UUID',
      edited('probe_event', ['event_id'], 'evt-1'),
      'probe_event: /event_id does not have the required format',
    ],
    [
      'an occurred_at with an offset',
      edited('probe_event', ['occurred_at'], '2026-12-02T01:27:14.730+01:00'),
      'probe_event: /occurred_at does not have the required format',
    ],
    [
      'an occurred_at on no real day',
      edited('probe_event', ['occurred_at'], '2026-02-29T10:00:00Z'),
      'probe_event: /occurred_at does not have the required format',
    ],
    [
      'no schema_version',
      edited('request_event', ['schema_version'], undefined),
      "request_event: (event) must have required property 'schema_version'",
    ],
    [
      'a service without environment',
      edited('request_event', ['service', 'environment'], undefined),
      "request_event: /service must have required property 'environment'",
    ],
    [
      'an exception without browser',
      edited('frontend_exception', ['payload', 'browser'], undefined),
      "frontend_exception: /payload must have required property 'browser'",
    ],
    [
      'a breadcrumb of another type',
      edited('frontend_breadcrumb', ['payload', 'breadcrumb_type'], 'scroll'),
      'frontend_breadcrumb: /payload/breadcrumb_type must be equal to one of the allowed values',
    ],
    [
      'a fractional status',
      edited('request_event', ['payload', 'response_status'], 200.5),
      'request_event: /payload/response_status must be integer',
    ],
    [
      'a zero suppression window',
      edited('error_suppressed', ['payload', 'window_seconds'], 0),
      'error_suppressed: /payload/window_seconds must be >= 1',
    ],
    [
      'a probe without activation_id',
      edited('probe_event', ['payload', 'activation_id'], undefined),
      "probe_event: /payload must have required property 'activation_id'",
    ],
    [
      'a correlation that is not an object',
      edited('frontend_breadcrumb', ['correlation'], 'abc'),
      'frontend_breadcrumb: /correlation must be object',
    ],
    [
      'analytics of the semantic schema version',
      edited('analytics_event', ['schema_version'], '2026-09-analytics-02'),
      'analytics_event: /schema_version must be equal to constant',
    ],
    [
      'a page_view without route',
      edited('analytics_event', ['payload', 'route'], null),
      'analytics_event: /payload/route must be object',
    ],
    [
      'session metrics on a page_view',
      edited('analytics_event', ['payload', 'session'], { duration_ms: 1, pageviews: 1 }),
      'analytics_event: /payload/session boolean schema is false',
    ],
    [
      'a reserved custom dimension',
      edited('analytics_event', ['payload', 'custom_dimensions'], { 'Order-ID': 'x' }),
      'analytics_event: /payload/custom_dimensions must NOT be valid',
    ],
    [
      'a custom dimension that looks like a URL',
      edited('analytics_event', ['payload', 'custom_dimensions'], {
        plan: 'see https://x.example',
      }),
      'analytics_event: /payload/custom_dimensions/plan must NOT be valid',
    ],
    [
      'an analytics session_id that is null',
      edited('analytics_event', ['correlation', 'session_id'], null),
      'analytics_event: /correlation/session_id must be string',
    ],
  ])('refuses %s as event_invalid, naming the rule and the path', (_name, item, message) => {
    const result = checkEvent(item, config);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('event_invalid');
    expect(result.message.startsWith(message)).toBe(true);
  });

  it('does not quote the value that failed', () => {
    const result = checkEvent(edited('probe_event', ['occurred_at'], 'SECRET-VALUE'), config);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('SECRET-VALUE');
  });

  it('removes keys no schema lists at any depth, and the event passes (R-SANITIZE-1)', () => {
    const event = sampleEvent('frontend_exception') as Record<string, any>;
    const expected = structuredClone(event);
    event.telemetry = 'x';
    event.payload.extra = 'x';
    event.payload.device.battery_level = 0.5;
    event.payload.browser_event.page.scroll_y = 10;
    event.payload.breadcrumbs[0].hint = 'x';
    event.service.version = '1.2.3';
    event.correlation.visitor_id_hash = 'x';
    expect(checkEvent(event, config)).toEqual({ ok: true, event: expected });
  });

  it('keeps free-form objects whole: data, query, headers, context', () => {
    const event = sampleEvent('request_event', {
      context: { flags: { a: [1, { b: null }] } },
    }) as Record<string, any>;
    event.payload.query = { q: 'shoes', extra: { deep: true } };
    event.payload.headers = { 'x-anything': 'kept' };
    const expected = structuredClone(event);
    expect(checkEvent(event, config)).toEqual({ ok: true, event: expected });
  });

  it('removes a top-level "__proto__" key as data, without touching Object.prototype', () => {
    const event = JSON.parse(
      JSON.stringify(sampleEvent('frontend_breadcrumb')).replace(
        '{',
        '{"__proto__":{"polluted":true},',
      ),
    ) as Record<string, unknown>;
    const data = JSON.parse('{"__proto__":{"polluted":true}}');
    (event.payload as { data: unknown }).data = data;
    const result = checkEvent(event, config);
    expect(result.ok).toBe(true);
    expect(Object.hasOwn(event, '__proto__')).toBe(false);
    expect(Object.hasOwn((event.payload as { data: object }).data, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
