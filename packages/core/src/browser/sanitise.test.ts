import { afterEach, describe, expect, it } from 'vitest';
import { pinTraceId, sanitiseEvent, traceIdOf, type SanitiseConfig } from './sanitise.js';
import { checkEvent, type BrowserEvent } from './validate.js';

const plain: SanitiseConfig = { sdkName: 'postern-browser-relay', service: undefined, environment: undefined };

/** Events reach sanitising only after the schema check, so tests build them the same way. */
function checked(item: unknown): BrowserEvent {
  const result = checkEvent(item);
  if (!result.ok) throw new Error(`test setup: ${result.message}`);
  return result.event;
}

/** Parsed from text, as the relay does, so `__proto__` keys are own properties exactly as in production. */
function fromJson(text: string): BrowserEvent {
  return checked(JSON.parse(text));
}

const breadcrumb = { type: 'frontend_breadcrumb', event_id: 'e1', timestamp: '2026-11-23T10:00:00Z', breadcrumb: { category: 'ui' } };

describe('sanitiseEvent', () => {
  afterEach(() => {
    // A failed pollution test must not leak into the next one.
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it('drops top-level keys the schema of the type does not list', () => {
    const event = checked({ ...breadcrumb, project_token: 'client-token', organization_id: 'org', __internal: true, suppressed_by: 'x' });
    expect(sanitiseEvent(event, plain)).toEqual({ ...breadcrumb, sdk_name: 'postern-browser-relay' });
  });

  it('keeps keys one type lists that another does not (suppressed_by on error_suppressed)', () => {
    const event = checked({ type: 'error_suppressed', event_id: 'e', timestamp: '2026-11-23T10:00:00Z', exception: { message: 'm' }, suppressed_by: 'Boundary' });
    expect(sanitiseEvent(event, plain).suppressed_by).toBe('Boundary');
  });

  it('returns a new object and leaves the input untouched', () => {
    const event = checked({ ...breadcrumb, sdk_name: 'evil', project_token: 't', service: { name: 'web' } });
    const snapshot = structuredClone(event);
    const out = sanitiseEvent(event, { sdkName: 'relay', service: 'forced', environment: 'prod' });
    expect(out).not.toBe(event);
    expect(event).toEqual(snapshot);
  });

  it('replaces sdk_name with the relay value', () => {
    expect(sanitiseEvent(checked({ ...breadcrumb, sdk_name: 'someone-else' }), { ...plain, sdkName: 'mine' }).sdk_name).toBe('mine');
    expect(sanitiseEvent(checked(breadcrumb), { ...plain, sdkName: 'mine' }).sdk_name).toBe('mine');
  });

  it('forwards nested values as sent', () => {
    const context = { deep: { list: [1, { two: null }], empty: {} } };
    const page = { url: 'https://app.example/x', title: 't' };
    const out = sanitiseEvent(checked({ ...breadcrumb, context, page, tags: { a: 'b' }, level: 'info', user_agent: 'UA' }), plain);
    expect(out).toEqual({ ...breadcrumb, context, page, tags: { a: 'b' }, level: 'info', user_agent: 'UA', sdk_name: 'postern-browser-relay' });
  });

  it('keeps a nested "__proto__" key as an own property and does not pollute Object.prototype', () => {
    const event = fromJson(
      '{"type":"frontend_breadcrumb","event_id":"e","timestamp":"2026-11-23T10:00:00Z","breadcrumb":{"category":"c","data":{"__proto__":{"polluted":true}}},' +
        '"context":{"__proto__":{"polluted":true}},"service":{"name":"web","__proto__":{"polluted":true}},"__proto__":{"polluted":true}}',
    );
    const out = sanitiseEvent(event, { ...plain, service: 'forced' });
    const data = (out.breadcrumb as { data: Record<string, unknown> }).data;
    expect(Object.hasOwn(data, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.hasOwn(out.context as object, '__proto__')).toBe(true);
    // The service override copies the object; the copy must keep the key as data, not as a prototype.
    const service = out.service as Record<string, unknown>;
    expect(Object.hasOwn(service, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(service)).toBe(Object.prototype);
    expect(service.name).toBe('forced');
    // A top-level "__proto__" is not a schema key: removed.
    expect(Object.hasOwn(out, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // And it survives serialisation upstream as sent.
    expect(JSON.parse(JSON.stringify(out)).breadcrumb.data).toEqual(JSON.parse('{"__proto__":{"polluted":true}}'));
  });

  describe('correlation', () => {
    it.each([
      ['all four strings', { request_id: 'r', trace_id: 't', session_id: 's', user_id_hash: 'u' }, { request_id: 'r', trace_id: 't', session_id: 's', user_id_hash: 'u' }],
      ['nulls kept', { trace_id: null, request_id: null }, { request_id: null, trace_id: null }],
      ['empty strings kept', { trace_id: '' }, { trace_id: '' }],
      ['wrong types dropped, the rest kept', { request_id: 1, trace_id: 't', session_id: { id: 's' }, user_id_hash: ['u'] }, { trace_id: 't' }],
      ['booleans dropped', { trace_id: true, session_id: 's' }, { session_id: 's' }],
      ['other keys dropped', { trace_id: 't', span_id: 'x', baggage: 'b' }, { trace_id: 't' }],
    ])('%s', (_name, correlation, expected) => {
      const out = sanitiseEvent(checked({ ...breadcrumb, correlation }), plain);
      expect(out.correlation).toEqual(expected);
    });

    it.each([
      ['an empty object', {}],
      ['only unknown keys', { span_id: 'x' }],
      ['only wrong types', { trace_id: 42, request_id: false }],
    ])('is removed when nothing usable is left: %s', (_name, correlation) => {
      const out = sanitiseEvent(checked({ ...breadcrumb, correlation }), plain);
      expect(Object.hasOwn(out, 'correlation')).toBe(false);
    });

    it('never creates a trace_id', () => {
      const out = sanitiseEvent(checked({ ...breadcrumb, correlation: { request_id: 'r' } }), plain);
      expect(out.correlation).toEqual({ request_id: 'r' });
      expect(Object.hasOwn(sanitiseEvent(checked(breadcrumb), plain), 'correlation')).toBe(false);
    });

    it('does not take correlation fields from the prototype chain', () => {
      const correlation = Object.create({ trace_id: 'inherited' }) as Record<string, unknown>;
      correlation.request_id = 'r';
      expect(sanitiseEvent(checked({ ...breadcrumb, correlation }), plain).correlation).toEqual({ request_id: 'r' });
    });
  });

  describe('service', () => {
    it('forwards service as sent when nothing is configured', () => {
      expect(sanitiseEvent(checked({ ...breadcrumb, service: { name: 'web', environment: 'dev', version: '1' } }), plain).service).toEqual({
        name: 'web',
        environment: 'dev',
        version: '1',
      });
      expect(Object.hasOwn(sanitiseEvent(checked(breadcrumb), plain), 'service')).toBe(false);
    });

    it.each([
      ['service only', { service: 'checkout', environment: undefined }, { name: 'checkout', environment: 'dev', version: '1' }],
      ['environment only', { service: undefined, environment: 'production' }, { name: 'web', environment: 'production', version: '1' }],
      ['both', { service: 'checkout', environment: 'production' }, { name: 'checkout', environment: 'production', version: '1' }],
    ])('overrides %s, keeping the other fields', (_name, overrides, expected) => {
      const event = checked({ ...breadcrumb, service: { name: 'web', environment: 'dev', version: '1' } });
      const out = sanitiseEvent(event, { sdkName: 'relay', ...overrides });
      expect(out.service).toEqual(expected);
      // The browser's object is copied, not edited.
      expect(event.service).toEqual({ name: 'web', environment: 'dev', version: '1' });
    });

    it('adds a service object when the event has none', () => {
      expect(sanitiseEvent(checked(breadcrumb), { sdkName: 'relay', service: 'checkout', environment: 'production' }).service).toEqual({
        name: 'checkout',
        environment: 'production',
      });
    });
  });
});

describe('traceIdOf and pinTraceId', () => {
  it('reads the trace id as sanitising left it: string, null or absent', () => {
    expect(traceIdOf({ correlation: { trace_id: 't' } })).toBe('t');
    expect(traceIdOf({ correlation: { trace_id: null } })).toBeNull();
    expect(traceIdOf({ correlation: { request_id: 'r' } })).toBeUndefined();
    expect(traceIdOf({ type: 'x' })).toBeUndefined();
  });

  it('puts the browser trace_id back after a hook replaced it', () => {
    const event: Record<string, unknown> = { correlation: { trace_id: 'hook', request_id: 'r2' } };
    pinTraceId(event, 'browser');
    expect(event.correlation).toEqual({ trace_id: 'browser', request_id: 'r2' });
  });

  it('puts it back after a hook removed it or the whole correlation', () => {
    const removedField: Record<string, unknown> = { correlation: { session_id: 's' } };
    pinTraceId(removedField, 'browser');
    expect(removedField.correlation).toEqual({ session_id: 's', trace_id: 'browser' });

    const removedAll: Record<string, unknown> = { type: 'x' };
    pinTraceId(removedAll, 'browser');
    expect(removedAll).toEqual({ type: 'x', correlation: { trace_id: 'browser' } });

    const replacedWithJunk: Record<string, unknown> = { correlation: 'nope' };
    pinTraceId(replacedWithJunk, null);
    expect(replacedWithJunk.correlation).toEqual({ trace_id: null });
  });

  it('removes a trace_id a hook added when the browser sent none (R-CORR-3)', () => {
    const added: Record<string, unknown> = { correlation: { request_id: 'r', trace_id: 'hook' } };
    pinTraceId(added, undefined);
    expect(added).toEqual({ correlation: { request_id: 'r' } });
    const only: Record<string, unknown> = { type: 'x', correlation: { trace_id: 'hook' } };
    pinTraceId(only, undefined);
    expect(only).toEqual({ type: 'x' });
  });

  // R-CORR-2: a trace_id that is not a string or null is dropped by sanitising, and pinning the
  // sanitised value keeps it dropped even when the hook hands the event back unchanged.
  it.each([42, true, { id: 't' }, ['t']])('keeps a wrong-typed trace_id (%j) dropped', (traceId) => {
    const event = sanitiseEvent(checked({ ...breadcrumb, correlation: { trace_id: traceId, request_id: 'r' } }), plain);
    const pinned = traceIdOf(event);
    expect(pinned).toBeUndefined();
    pinTraceId(event, pinned);
    expect(event.correlation).toEqual({ request_id: 'r' });
  });
});
