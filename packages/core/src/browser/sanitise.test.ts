import { sampleEvent } from '@postern/conformance';
import { describe, expect, it } from 'vitest';
import { pinTraceId, prepareEvent, traceIdOf, type SanitiseConfig } from './sanitise.js';

const plain: SanitiseConfig = {
  sdkName: '@debugbundle/sdk-browser',
  service: undefined,
  environment: undefined,
};

describe('prepareEvent', () => {
  it("removes a browser's project_token and project_id and forces sdk_name", () => {
    const event: Record<string, unknown> = {
      ...sampleEvent('probe_event'),
      project_token: 'client',
      project_id: 'x',
      sdk_name: '@debugbundle/sdk-node',
    };
    prepareEvent(event, 'probe_event', { ...plain, sdkName: 'mine' });
    expect(event).not.toHaveProperty('project_token');
    expect(event).not.toHaveProperty('project_id');
    expect(event.sdk_name).toBe('mine');
  });

  it('forwards service as sent when nothing is configured', () => {
    const event: Record<string, unknown> = sampleEvent('probe_event');
    const service = structuredClone(event.service);
    prepareEvent(event, 'probe_event', plain);
    expect(event.service).toEqual(service);
  });

  it.each([
    [
      'service only',
      { service: 'checkout', environment: undefined },
      { name: 'checkout', runtime: 'browser', framework: null, environment: 'dev' },
    ],
    [
      'environment only',
      { service: undefined, environment: 'production' },
      { name: 'web', runtime: 'browser', framework: null, environment: 'production' },
    ],
  ])('overrides %s, keeping the other fields, on a copy', (_name, overrides, expected) => {
    const browser = { name: 'web', runtime: 'browser', framework: null, environment: 'dev' };
    const event: Record<string, unknown> = { ...sampleEvent('request_event'), service: browser };
    prepareEvent(event, 'request_event', { ...plain, ...overrides });
    expect(event.service).toEqual(expected);
    expect(browser).toEqual({
      name: 'web',
      runtime: 'browser',
      framework: null,
      environment: 'dev',
    });
  });

  it('adds a service object when the event has none', () => {
    const event: Record<string, unknown> = sampleEvent('request_event');
    delete event.service;
    prepareEvent(event, 'request_event', {
      ...plain,
      service: 'checkout',
      environment: 'production',
    });
    expect(event.service).toEqual({ name: 'checkout', environment: 'production' });
  });

  it('keeps a nested "__proto__" key of service as data when it copies the object', () => {
    const event = JSON.parse(
      JSON.stringify(sampleEvent('request_event')).replace(
        '"service":{',
        '"service":{"__proto__":{"polluted":true},',
      ),
    ) as Record<string, unknown>;
    prepareEvent(event, 'request_event', { ...plain, service: 'forced' });
    const service = event.service as Record<string, unknown>;
    expect(Object.hasOwn(service, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(service)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  describe('correlation (R-CORR-1, R-CORR-2)', () => {
    it.each([
      [
        'strings and nulls kept',
        { request_id: 'r', trace_id: null, session_id: 's', user_id_hash: '' },
        { request_id: 'r', trace_id: null, session_id: 's', user_id_hash: '' },
      ],
      [
        'wrong types dropped, the rest kept',
        { request_id: 1, trace_id: 't', session_id: { id: 's' }, user_id_hash: ['u'] },
        { trace_id: 't' },
      ],
      ['booleans dropped', { trace_id: true, session_id: 's' }, { session_id: 's' }],
      [
        'keys of another type left for the schema check to remove',
        { trace_id: 't', visitor_id_hash: 7 },
        { trace_id: 't', visitor_id_hash: 7 },
      ],
    ])('a debug event: %s', (_name, correlation, expected) => {
      const event: Record<string, unknown> = { ...sampleEvent('frontend_breadcrumb'), correlation };
      prepareEvent(event, 'frontend_breadcrumb', plain);
      expect(event.correlation).toEqual(expected);
    });

    it('an analytics event: its own five keys', () => {
      const correlation = {
        session_id: 5,
        visitor_id_hash: null,
        user_id_hash: 'sha256:x',
        trace_id: false,
        deploy_id: 'd',
        request_id: 3,
      };
      const event: Record<string, unknown> = { ...sampleEvent('analytics_event'), correlation };
      prepareEvent(event, 'analytics_event', plain);
      expect(event.correlation).toEqual({
        visitor_id_hash: null,
        user_id_hash: 'sha256:x',
        deploy_id: 'd',
        request_id: 3,
      });
    });

    it('never creates a trace_id', () => {
      const event: Record<string, unknown> = {
        ...sampleEvent('frontend_breadcrumb'),
        correlation: { request_id: 'r' },
      };
      prepareEvent(event, 'frontend_breadcrumb', plain);
      expect(event.correlation).toEqual({ request_id: 'r' });
    });
  });
});

describe('traceIdOf and pinTraceId', () => {
  it('reads the trace id as the browser sent it: string, null or absent', () => {
    expect(traceIdOf({ correlation: { trace_id: 't' } })).toBe('t');
    expect(traceIdOf({ correlation: { trace_id: null } })).toBeNull();
    expect(traceIdOf({ correlation: { request_id: 'r' } })).toBeUndefined();
    expect(traceIdOf({ event_type: 'x' })).toBeUndefined();
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
    const removedAll: Record<string, unknown> = { event_type: 'x' };
    pinTraceId(removedAll, 'browser');
    expect(removedAll).toEqual({ event_type: 'x', correlation: { trace_id: 'browser' } });
    const replacedWithJunk: Record<string, unknown> = { correlation: 'nope' };
    pinTraceId(replacedWithJunk, null);
    expect(replacedWithJunk.correlation).toEqual({ trace_id: null });
  });

  it('removes a trace_id a hook added when the browser sent none (R-CORR-3)', () => {
    const added: Record<string, unknown> = { correlation: { request_id: 'r', trace_id: 'hook' } };
    pinTraceId(added, undefined);
    expect(added).toEqual({ correlation: { request_id: 'r' } });
    const only: Record<string, unknown> = { event_type: 'x', correlation: { trace_id: 'hook' } };
    pinTraceId(only, undefined);
    expect(only).toEqual({ event_type: 'x' });
  });

  it.each([42, true, { id: 't' }, ['t']])(
    'keeps a wrong-typed trace_id (%j) dropped after a hook',
    (traceId) => {
      const event: Record<string, unknown> = {
        ...sampleEvent('frontend_breadcrumb'),
        correlation: { trace_id: traceId, request_id: 'r' },
      };
      prepareEvent(event, 'frontend_breadcrumb', plain);
      const pinned = traceIdOf(event);
      expect(pinned).toBeUndefined();
      pinTraceId(event, pinned);
      expect(event.correlation).toEqual({ request_id: 'r' });
    },
  );
});
