import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { init, SCHEMA_VERSION, SDK_NAME, SDK_VERSION, type BreadcrumbType } from '../src/index.js';
import { browserOf } from '../src/events.js';
import { ENDPOINT, fakePage, json, settled, type FakePage, type RelayPost } from './fake-page.js';

type Event = RelayPost['batch'][number];

// The contract's event schemas, as DebugBundle's ingestion checks them: closed objects (additionalProperties:
// false), so a key the client invents fails here as it would fail there. Ajv in strict mode (union types are
// how the schemas spell "string or null"), no removeAdditional, no coercion.
const SCHEMAS = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'conformance',
  'schemas',
  'events',
);
const validators = new Map<string, ValidateFunction>();

beforeAll(() => {
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true });
  const schemas = readdirSync(SCHEMAS).map(
    (file) =>
      JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as { $id: string; title?: string },
  );
  for (const schema of schemas) ajv.addSchema(schema);
  for (const type of ['frontend_exception', 'frontend_breadcrumb', 'request_event']) {
    const schema = schemas.find((candidate) => candidate.title === type);
    if (schema === undefined) throw new Error(`no schema for ${type} in ${SCHEMAS}`);
    validators.set(type, ajv.getSchema(schema.$id) as ValidateFunction);
  }
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function problems(event: Event): string[] {
  const validate = validators.get(event.event_type);
  if (validate === undefined) return [`no schema for event_type ${event.event_type}`];
  return validate(event)
    ? []
    : (validate.errors ?? []).map(
        (error) =>
          `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
      );
}

const dispatch = (page: FakePage, type: string, fields: Record<string, unknown>): void => {
  page.window.dispatchEvent(Object.assign(new Event(type), fields));
};

/** Every kind of event the client makes, with the awkward inputs pages really produce. */
async function everyKindOfEvent(): Promise<Event[]> {
  const page = fakePage();
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  page.app.set('/api/pay', () => json(500, {}));
  page.app.set('/api/gone', () => new Response('', { status: 410 }));
  page.app.set('/api/down', () => new TypeError('Failed to fetch'));
  const postern = init({
    endpoint: ENDPOINT,
    service: 'checkout-web',
    environment: 'production',
    maxQueueSize: 1000,
    maxBatchSize: 1000,
  });

  const types: BreadcrumbType[] = [
    'route_change',
    'click',
    'form_submit',
    'console_log',
    'network_request',
  ];
  for (const type of types)
    postern.addBreadcrumb(type, {
      n: 1,
      nested: { list: [1, 'two', null], flag: true },
      nothing: null,
    });
  postern.addBreadcrumb('click');
  postern.addBreadcrumb('click', [1, 2, 3] as unknown as Record<string, unknown>);
  postern.addBreadcrumb('click', { when: new Date(0), undefinedValue: undefined, fn: () => 1 });

  const noStack = new Error('no stack');
  noStack.stack = undefined;
  const emptyName = new Error('named nothing');
  emptyName.name = '';
  class PaymentError extends Error {
    override name = 'PaymentError';
  }
  for (const thrown of [
    new Error('plain'),
    new PaymentError('declined'),
    new Error(''),
    noStack,
    emptyName,
    new Error('x'.repeat(5000)),
    'a string',
    '',
    { code: 42 },
    null,
    undefined,
    7,
    Symbol('s'),
    { message: 'error-like' },
  ]) {
    postern.captureException(thrown);
  }

  dispatch(page, 'error', {
    error: new TypeError('uncaught'),
    message: 'Uncaught TypeError: uncaught',
    filename: 'https://app.example/app.js',
    lineno: 3,
    colno: 9,
  });
  dispatch(page, 'error', {
    error: null,
    message: 'Script error.',
    filename: '',
    lineno: 0,
    colno: 0,
  });
  dispatch(page, 'error', {
    error: undefined,
    message: '',
    filename: undefined,
    lineno: -1,
    colno: 1.5,
  });
  for (const reason of [
    new Error('rejected'),
    'string reason',
    '',
    null,
    undefined,
    { status: 503 },
    12,
    Symbol('why'),
    { message: 'like an error' },
  ]) {
    dispatch(page, 'unhandledrejection', { reason });
  }

  page.window.history.pushState({}, '', '/checkout/pay');
  page.window.dispatchEvent(new Event('popstate'));
  await page.window
    .fetch('/api/pay?order=1&order=2&empty=', { method: 'put' })
    .catch(() => undefined);
  await page.window.fetch(new URL('https://cdn.example/api/gone')).catch(() => undefined);
  await page.window.fetch('/api/down').catch(() => undefined);

  await postern.close();
  await settled(page);
  return page.events();
}

describe('every event the client builds', () => {
  let events: Event[];

  beforeAll(async () => {
    events = await everyKindOfEvent();
  });

  it('is valid against its event schema of the contract', () => {
    expect(new Set(events.map((event) => event.event_type))).toEqual(
      new Set(['frontend_exception', 'frontend_breadcrumb', 'request_event']),
    );
    expect(events.length).toBeGreaterThan(35);
    const invalid = events
      .map((event) => ({ event, problems: problems(event) }))
      .filter((entry) => entry.problems.length > 0);
    expect(
      invalid.map(
        (entry) =>
          `${entry.event.event_type}: ${entry.problems.join('; ')}\n${JSON.stringify(entry.event.payload).slice(0, 400)}`,
      ),
    ).toEqual([]);
  });

  it('has DebugBundle envelope fields: schema version, a fresh UUID, the SDK, the service, UTC time and the session', () => {
    const sessions = new Set<string>();
    for (const event of events) {
      expect(Object.keys(event).sort()).toEqual(
        [
          'correlation',
          'event_id',
          'event_type',
          'occurred_at',
          'payload',
          'schema_version',
          'sdk_name',
          'sdk_version',
          'service',
        ].sort(),
      );
      expect(event).toMatchObject({
        schema_version: SCHEMA_VERSION,
        sdk_name: SDK_NAME,
        sdk_version: SDK_VERSION,
      });
      expect(event.service).toEqual({
        name: 'checkout-web',
        runtime: 'browser',
        framework: null,
        environment: 'production',
      });
      expect(event.occurred_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(new Date(event.occurred_at as string).toISOString()).toBe(event.occurred_at);
      const correlation = event.correlation as Record<string, unknown>;
      expect(correlation).toEqual({
        request_id: null,
        trace_id: null,
        session_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        user_id_hash: null,
      });
      sessions.add(correlation.session_id as string);
    }
    expect(SCHEMA_VERSION).toBe('2026-03-01');
    expect(sessions.size).toBe(1);
    expect(new Set(events.map((event) => event.event_id)).size).toBe(events.length);
    for (const event of events)
      expect(event.event_id).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
  });

  it('cuts long messages and never sends an empty name, message or stack', () => {
    for (const event of events.filter(
      (candidate) => candidate.event_type === 'frontend_exception',
    )) {
      const payload = event.payload as { name: string; message: string; stack: string };
      for (const field of [payload.name, payload.message, payload.stack])
        expect(field.trim()).not.toBe('');
      expect(payload.message.length).toBeLessThanOrEqual(2001);
    }
  });
});

describe('the validator itself', () => {
  const valid = (): Event =>
    ({
      schema_version: SCHEMA_VERSION,
      event_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
      event_type: 'frontend_exception',
      sdk_name: SDK_NAME,
      sdk_version: SDK_VERSION,
      service: { name: 'web', runtime: 'browser', framework: null, environment: 'test' },
      occurred_at: '2026-12-07T10:00:00.000Z',
      correlation: {
        request_id: null,
        trace_id: null,
        session_id: '0f8fad5b-d9cb-469f-a165-70867728950f',
        user_id_hash: null,
      },
      payload: {
        name: 'Error',
        message: 'm',
        stack: 's',
        browser: { name: 'Chrome', version: '131' },
      },
    }) as Event;

  it('accepts a known-good event and refuses unknown keys at any depth, missing required keys and offsets in times', () => {
    expect(problems(valid())).toEqual([]);
    const withExtra = valid();
    (withExtra as Record<string, unknown>).extra = 1;
    expect(problems(withExtra)).not.toEqual([]);
    const withPayloadExtra = valid();
    withPayloadExtra.payload.extra = 1;
    expect(problems(withPayloadExtra)).not.toEqual([]);
    const withoutBrowser = valid();
    delete withoutBrowser.payload.browser;
    expect(problems(withoutBrowser)).not.toEqual([]);
    const offset = valid();
    (offset as Record<string, unknown>).occurred_at = '2026-12-07T10:00:00.000+01:00';
    expect(problems(offset)).not.toEqual([]);
  });
});

describe('outside a page', () => {
  it('still builds valid events (no route, an unknown browser) and sends them with the global fetch', async () => {
    const posts: string[] = [];
    vi.stubGlobal('window', undefined);
    vi.stubGlobal('location', undefined);
    vi.stubGlobal('navigator', undefined);
    vi.stubGlobal('fetch', async (_input: string, init: RequestInit) => {
      posts.push(String(init.body));
      return new Response(null, { status: 202 });
    });
    const postern = init({ endpoint: ENDPOINT, service: 'web', environment: 'test' });
    postern.captureException(new Error('server-side render'));
    postern.addBreadcrumb('console_log', { text: 'hello' });
    await postern.close();
    const batch = posts.flatMap((body) => (JSON.parse(body) as { batch: Event[] }).batch);
    expect(batch).toHaveLength(2);
    expect(batch.flatMap(problems)).toEqual([]);
    expect(batch[0]?.payload).toMatchObject({
      route: null,
      browser: { name: 'unknown', version: 'unknown' },
    });
  });
});

describe('browserOf', () => {
  it.each([
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86',
      'Edge',
      '131.0.2903.86',
    ],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox', '133.0'],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15',
      'Safari',
      '18.2',
    ],
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0.7339.185 Safari/537.36',
      'Chrome',
      '140.0.7339.185',
    ],
    ['curl/8.5.0', 'unknown', 'unknown'],
  ])('%s', (userAgent, name, version) => {
    expect(browserOf(userAgent)).toEqual({ name, version });
  });
});
