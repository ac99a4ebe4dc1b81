import { randomUUID } from 'node:crypto';
import { sampleEvent } from '@postern/conformance';
import { describe, expect, it } from 'vitest';
import type { EventContext, RelayLogger, BrowserRelayOptions } from '../options.js';
import type { RateLimitStore } from '../rate-limit/store.js';
import { createBrowserRelay, createRelay } from './relay.js';
import type { RelayBody, RelayRequest, RelayResponse } from '../request.js';
import { VERSION } from '../version.js';

// Distinctive values, so a leak anywhere (upstream, answer, hook, log) is found by a plain substring search.
const TOKEN = 'srv-token-SECRET-7f3a';
const AUTHORIZATION = 'Bearer browser-AUTH-SECRET-1';
const COOKIE = 'session=COOKIE-SECRET-2';
const API_KEY = 'APIKEY-SECRET-3';
const BODY_MARKER = 'BODY-TEXT-MARKER-4';
const SECRETS = [TOKEN, 'AUTH-SECRET', 'COOKIE-SECRET', 'APIKEY-SECRET', BODY_MARKER];

const ENDPOINT = 'https://ingest.example/v1/events';
const ORIGIN = 'https://app.example';

const ids = new Map<string, string>();
/** The event id a test names by a short label: a UUID, as DebugBundle's envelope requires, new to every relay. */
function id(label: string): string {
  if (!ids.has(label)) ids.set(label, randomUUID());
  return ids.get(label) as string;
}

function event(label: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return sampleEvent('frontend_breadcrumb', {
    event_id: id(label),
    occurred_at: '2026-12-02T01:27:14.730Z',
    payload: { breadcrumb_type: 'click', route: '/checkout', data: { message: BODY_MARKER } },
    ...extra,
  });
}

interface RequestInit_ {
  method?: string;
  headers?: Record<string, string>;
  body?: RelayBody;
  clientAddress?: string | undefined;
}

/** A request as an adapter would build it; header names are looked up exactly as given (the Node adapter's behaviour). */
function request(init: RequestInit_ = {}): RelayRequest {
  const headers: Record<string, string> = {
    origin: ORIGIN,
    'content-type': 'application/json',
    authorization: AUTHORIZATION,
    cookie: COOKIE,
    'x-api-key': API_KEY,
    'x-request-tag': 'tag-1',
    'user-agent': 'Mozilla/5.0 test',
    ...init.headers,
  };
  return {
    method: init.method ?? 'POST',
    header: (name) => headers[name],
    clientAddress: 'clientAddress' in init ? init.clientAddress : '203.0.113.9',
    body: init.body !== undefined ? init.body : JSON.stringify({ batch: [event('e1')] }),
  };
}

function batch(...items: unknown[]): string {
  return JSON.stringify({ batch: items });
}

interface UpstreamCall {
  url: string;
  method: string | undefined;
  headers: Headers;
  body: { events: Record<string, unknown>[] };
  signal: AbortSignal | null | undefined;
}

/** A fetch that records what it was asked and answers with `answer()` (or throws what it throws). */
function fakeFetch(
  answer: () => Response | Promise<Response> = () => new Response(null, { status: 202 }),
) {
  const calls: UpstreamCall[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({
      url: String(input),
      method: init?.method,
      headers: new Headers(init?.headers),
      body: JSON.parse(String(init?.body)) as UpstreamCall['body'],
      signal: init?.signal,
    });
    return answer();
  }) as typeof globalThis.fetch;
  return { calls, fetch };
}

function recordingLogger() {
  const entries: {
    level: 'warn' | 'error';
    message: string;
    fields: Record<string, unknown> | undefined;
  }[] = [];
  const logger: RelayLogger = {
    warn: (message, fields) => entries.push({ level: 'warn', message, fields }),
    error: (message, fields) => entries.push({ level: 'error', message, fields }),
  };
  return { entries, logger };
}

function relayWith(options: Partial<BrowserRelayOptions> = {}) {
  const upstream = fakeFetch();
  const relay = createBrowserRelay({
    projectToken: TOKEN,
    endpoint: ENDPOINT,
    allowedOrigins: [ORIGIN],
    rateLimit: { limit: 1000, windowMs: 60_000 },
    fetch: upstream.fetch,
    ...options,
  });
  return { relay, calls: upstream.calls };
}

function json(response: RelayResponse): Record<string, unknown> {
  expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  return JSON.parse(response.body ?? 'null') as Record<string, unknown>;
}

function expectNoSecrets(value: unknown): void {
  const text = JSON.stringify(value);
  for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe('createBrowserRelay options', () => {
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['blank', '   '],
    ['not a string', 42],
  ])('refuses a %s projectToken', (_name, projectToken) => {
    expect(() => createBrowserRelay({ projectToken } as unknown as BrowserRelayOptions)).toThrow(
      new TypeError(
        'projectToken is required: pass the server-side project token, for example process.env.DEBUGBUNDLE_PROJECT_TOKEN.',
      ),
    );
  });

  it.each([
    [
      { endpoint: 'not a url' },
      'endpoint: "not a url" is not an absolute URL such as "https://api.debugbundle.com/v1/events".',
    ],
    [
      { endpoint: '/v1/events' },
      'endpoint: "/v1/events" is not an absolute URL such as "https://api.debugbundle.com/v1/events".',
    ],
    [
      { endpoint: 'ftp://ingest.example/events' },
      'endpoint: "ftp://ingest.example/events" must be an http(s) URL.',
    ],
    [{ maxBodyBytes: 0 }, 'maxBodyBytes must be a whole number above 0, got 0.'],
    [{ maxBodyBytes: -1 }, 'maxBodyBytes must be a whole number above 0, got -1.'],
    [{ maxBodyBytes: 1.5 }, 'maxBodyBytes must be a whole number above 0, got 1.5.'],
    [{ maxBodyBytes: Number.NaN }, 'maxBodyBytes must be a whole number above 0, got NaN.'],
    [{ rateLimitPerMinute: 0 }, 'rateLimitPerMinute must be a whole number above 0, got 0.'],
    [
      { rateLimit: { limit: 0, windowMs: 1000 } },
      'rateLimit.limit must be a whole number above 0, got 0.',
    ],
    [
      { rateLimit: { limit: -3, windowMs: 1000 } },
      'rateLimit.limit must be a whole number above 0, got -3.',
    ],
    [
      { rateLimit: { limit: 10, windowMs: 0 } },
      'rateLimit.windowMs must be a whole number above 0, got 0.',
    ],
    [{ upstreamTimeoutMs: 0 }, 'upstreamTimeoutMs must be a whole number above 0, got 0.'],
  ] as [Partial<BrowserRelayOptions>, string][])('refuses %j', (options, message) => {
    expect(() => createBrowserRelay({ projectToken: TOKEN, ...options })).toThrow(
      new TypeError(message),
    );
  });

  it('refuses a bad allowedOrigins or trustProxy entry by name', () => {
    expect(() =>
      createBrowserRelay({ projectToken: TOKEN, allowedOrigins: ['app.example'] }),
    ).toThrow(TypeError);
    expect(() =>
      createBrowserRelay({ projectToken: TOKEN, allowedOrigins: ['app.example'] }),
    ).toThrow('"app.example"');
    expect(() =>
      createBrowserRelay({ projectToken: TOKEN, trustProxy: ['10.0.0.0/8', 'my-proxy'] }),
    ).toThrow(TypeError);
    expect(() =>
      createBrowserRelay({ projectToken: TOKEN, trustProxy: ['10.0.0.0/8', 'my-proxy'] }),
    ).toThrow('"my-proxy"');
  });

  it('takes the path from the options, with the contract default', () => {
    expect(createBrowserRelay({ projectToken: TOKEN }).path).toBe('/debugbundle/browser');
    expect(createBrowserRelay({ projectToken: TOKEN, path: '/t' }).path).toBe('/t');
    const relay = createBrowserRelay({ projectToken: TOKEN, path: '/t' });
    expect(relay.paths).toEqual(['/t']);
    expect(['/t', '/t/', '/t?x=1'].map((target) => relay.matches(target))).toEqual([
      true,
      true,
      true,
    ]);
    expect(['/t//', '/tt', '/debugbundle/browser'].map((target) => relay.matches(target))).toEqual([
      false,
      false,
      false,
    ]);
  });
});

describe('delivery', () => {
  it('forwards accepted events in one POST with the server token, a postern user agent and no browser credentials', async () => {
    const { relay, calls } = relayWith({ sdkName: 'relay-sdk' });
    const response = await relay.handle(
      request({
        body: batch(
          event('e1'),
          { event_type: 'log_event' },
          event('e2', { project_token: 'client-token' }),
        ),
      }),
    );

    expect(response.status).toBe(400);
    expect(json(response)).toEqual({
      accepted: 2,
      rejected: 1,
      errors: [
        {
          index: 1,
          reason: 'event_type_server_only',
          message: 'event type "log_event" is accepted only from server SDKs',
        },
      ],
    });
    expect(calls).toHaveLength(1);
    const call = calls[0];
    if (call === undefined) return;
    expect(call.url).toBe(ENDPOINT);
    expect(call.method).toBe('POST');
    expect(call.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
    expect(call.headers.get('content-type')).toBe('application/json');
    expect(call.headers.get('user-agent')).toBe(`postern/${VERSION}`);
    expect(call.headers.get('user-agent')?.startsWith('postern/')).toBe(true);
    expect(call.headers.get('cookie')).toBeNull();
    expect(call.headers.get('x-api-key')).toBeNull();
    expect(call.signal).toBeInstanceOf(AbortSignal);
    // In batch order, the client's own project_token replaced by the relay's.
    expect(call.body).toEqual({
      events: [
        { ...event('e1'), sdk_name: 'relay-sdk', project_token: TOKEN },
        { ...event('e2'), sdk_name: 'relay-sdk', project_token: TOKEN },
      ],
    });
    const sentHeaders: Record<string, string> = {};
    call.headers.forEach((value, name) => {
      sentHeaders[name] = value;
    });
    expect(Object.keys(sentHeaders).sort()).toEqual([
      'authorization',
      'content-type',
      'user-agent',
    ]);
    const upstreamText = JSON.stringify({ headers: sentHeaders, body: call.body });
    for (const secret of ['AUTH-SECRET', 'COOKIE-SECRET', 'APIKEY-SECRET'])
      expect(upstreamText).not.toContain(secret);
    expect(response.body).not.toContain(TOKEN);
  });

  it.each([
    ['a 500', 502, 'upstream_error', () => new Response('upstream says no', { status: 500 })],
    ['a 408', 502, 'upstream_error', () => new Response(null, { status: 408 })],
    ['a 401', 502, 'upstream_rejected', () => new Response(null, { status: 401 })],
    [
      'a 429',
      503,
      'upstream_rate_limited',
      () => new Response(null, { status: 429, headers: { 'retry-after': '17' } }),
    ],
  ])(
    'answers %s from the upstream with %s %s and reports nothing accepted',
    async (_name, status, code, answer) => {
      const upstream = fakeFetch(answer);
      const relay = createBrowserRelay({
        projectToken: TOKEN,
        allowedOrigins: [ORIGIN],
        fetch: upstream.fetch,
      });
      const response = await relay.handle(request());
      expect(response.status).toBe(status);
      const body = json(response);
      expect(body.error).toBe(code);
      expect(Object.keys(body).sort()).toEqual(['error', 'message']);
      expect(response.headers['retry-after']).toBe(
        code === 'upstream_rate_limited' ? '17' : undefined,
      );
    },
  );

  it.each([
    ['a DOMException', () => new DOMException('The operation timed out.', 'TimeoutError')],
    [
      'an Error named TimeoutError',
      () => Object.assign(new Error('timed out'), { name: 'TimeoutError' }),
    ],
  ])('answers 504 upstream_timeout when fetch rejects with %s', async (_name, makeError) => {
    const upstream = fakeFetch(() => Promise.reject(makeError()));
    const relay = createBrowserRelay({
      projectToken: TOKEN,
      allowedOrigins: [ORIGIN],
      fetch: upstream.fetch,
      upstreamTimeoutMs: 1234,
    });
    const response = await relay.handle(request());
    expect(response.status).toBe(504);
    expect(json(response)).toEqual({
      error: 'upstream_timeout',
      message:
        'The upstream did not answer in time; nothing was accepted. No answer within 1234 ms.',
    });
  });

  it('answers 502 upstream_unreachable when fetch fails to connect', async () => {
    const upstream = fakeFetch(() => Promise.reject(new TypeError('fetch failed')));
    const relay = createBrowserRelay({
      projectToken: TOKEN,
      allowedOrigins: [ORIGIN],
      fetch: upstream.fetch,
    });
    const response = await relay.handle(request());
    expect(response.status).toBe(502);
    expect(json(response)).toEqual({
      error: 'upstream_unreachable',
      message:
        'The upstream could not be reached; nothing was accepted. The connection to the upstream failed.',
    });
  });

  it('does not call the upstream when no event is accepted', async () => {
    const { relay, calls } = relayWith();
    const response = await relay.handle(request({ body: batch({ event_type: 'nope' }, 1) }));
    expect(response.status).toBe(400);
    expect(json(response).accepted).toBe(0);
    expect(calls).toHaveLength(0);
  });
});

describe('scrub', () => {
  it('scrubs accepted events after the hook, leaving correlation ids alone', async () => {
    const { relay, calls } = relayWith({
      scrub: { rules: ['@email', '@password'] },
      onEvent: (e) => ({ ...e, context: { user_email: 'jane@example.com' } }),
    });
    const correlation = { session_id: 'sess-1', trace_id: 'trace-1' };
    const payload = {
      breadcrumb_type: 'click',
      data: { message: 'mail jane@example.com', password: 'hunter2' },
    };
    const response = await relay.handle(
      request({ body: batch(event('e1', { correlation, payload })) }),
    );
    expect(response.status).toBe(202);
    const sent = calls[0]?.body.events[0];
    expect(sent?.context).toEqual({ user_email: '[email]' });
    expect(sent?.payload).toEqual({
      breadcrumb_type: 'click',
      data: { message: 'mail [email]', password: '[Filtered]' },
    });
    expect(sent?.correlation).toEqual(correlation);
  });
});

describe('onEvent hook', () => {
  it('can enrich events within the schema; keys ingestion would refuse are removed again', async () => {
    const { relay, calls } = relayWith({
      onEvent: async (e) => ({ ...e, context: { region: 'eu' }, app_field: 1 }),
    });
    const response = await relay.handle(request());
    expect(response.status).toBe(202);
    expect(calls[0]?.body.events).toEqual([
      { ...event('e1'), context: { region: 'eu' }, project_token: TOKEN },
    ]);
  });

  it('rejects an event the hook made invalid, and logs it', async () => {
    const { logger, entries } = recordingLogger();
    const { relay, calls } = relayWith({
      logger,
      onEvent: (e) => (e.event_id === id('break') ? { ...e, occurred_at: 'later' } : e),
    });
    const response = await relay.handle(request({ body: batch(event('break'), event('fine')) }));
    expect(response.status).toBe(400);
    expect(json(response)).toEqual({
      accepted: 1,
      rejected: 1,
      errors: [
        {
          index: 0,
          reason: 'event_invalid',
          message:
            'after onEvent or scrub: frontend_breadcrumb: /occurred_at does not have the required format',
        },
      ],
    });
    expect(calls[0]?.body.events.map((e) => e.event_id)).toEqual([id('fine')]);
    expect(entries.map((entry) => entry.message)).toContain(
      'postern: an event no longer matched its schema after onEvent or scrub; it is rejected',
    );
  });

  it('can drop events by returning null: they are counted as filtered and not forwarded', async () => {
    const { relay, calls } = relayWith({
      onEvent: (e) => (e.event_id === id('drop') ? null : e),
    });
    const response = await relay.handle(
      request({ body: batch(event('keep-1'), event('drop'), event('keep-2')) }),
    );
    expect(response.status).toBe(202);
    // Filtered events count as accepted, so accepted + rejected is the batch length SDK 3.x checks.
    expect(json(response)).toEqual({ accepted: 3, rejected: 0, errors: [], filtered: 1 });
    expect(calls[0]?.body.events.map((e) => e.event_id)).toEqual([id('keep-1'), id('keep-2')]);
  });

  it('sends nothing upstream when every event is filtered', async () => {
    const { relay, calls } = relayWith({ onEvent: () => null });
    const response = await relay.handle(request({ body: batch(event('a'), event('b')) }));
    expect(response.status).toBe(202);
    expect(json(response)).toEqual({ accepted: 2, rejected: 0, errors: [], filtered: 2 });
    expect(calls).toHaveLength(0);
  });

  it('omits filtered from the answer when nothing was filtered', async () => {
    const { relay } = relayWith({ onEvent: (e) => e });
    expect(json(await relay.handle(request()))).toEqual({ accepted: 1, rejected: 0, errors: [] });
  });

  it('sees only sanitised, valid events, and never the project token', async () => {
    const seen: Record<string, unknown>[] = [];
    const { relay } = relayWith({
      onEvent: (e) => {
        seen.push(structuredClone(e));
        return e;
      },
    });
    await relay.handle(
      request({
        body: batch(
          { event_type: 'bad' },
          event('e1', { project_token: 'client', sdk_name: 'x', extra: 1 }),
        ),
      }),
    );
    expect(seen).toEqual([event('e1')]);
  });

  it('cannot replace or remove the browser trace_id', async () => {
    const { relay, calls } = relayWith({
      onEvent: (e) =>
        e.event_id === id('replace')
          ? { ...e, correlation: { trace_id: 'hook-trace', request_id: 'hook-req' } }
          : { ...e, correlation: undefined },
    });
    await relay.handle(
      request({
        body: batch(
          event('replace', { correlation: { trace_id: 'browser-trace', request_id: 'r' } }),
          event('remove', { correlation: { trace_id: 'browser-2' } }),
        ),
      }),
    );
    const [replaced, removed] = calls[0]?.body.events ?? [];
    // Other correlation fields are the hook's to enrich; trace_id is not.
    expect(replaced?.correlation).toEqual({ trace_id: 'browser-trace', request_id: 'hook-req' });
    expect(removed?.correlation).toEqual({ trace_id: 'browser-2' });
  });

  // R-CORR-3: "an event without one is forwarded without one".
  it('cannot add a trace_id to an event the browser sent without one', async () => {
    const { relay, calls } = relayWith({
      onEvent: (e) => ({
        ...e,
        correlation: { ...(e.correlation as object | undefined), trace_id: 'hook-trace' },
      }),
    });
    await relay.handle(request({ body: batch(event('e1', { correlation: { request_id: 'r' } })) }));
    expect(calls[0]?.body.events[0]?.correlation).toEqual({ request_id: 'r' });
  });

  // R-CORR-2: a trace_id that is not a string or null is dropped; passing the event through a hook must not revive it.
  it('does not forward a wrong-typed trace_id that sanitising dropped, even with an identity hook', async () => {
    const body = batch(event('e1', { correlation: { trace_id: 42, request_id: 'r' } }));
    const without = relayWith();
    await without.relay.handle(request({ body }));
    expect(without.calls[0]?.body.events[0]?.correlation).toEqual({ request_id: 'r' });

    const withHook = relayWith({ onEvent: (e) => e });
    await withHook.relay.handle(request({ body }));
    expect(withHook.calls[0]?.body.events[0]?.correlation).toEqual({ request_id: 'r' });
  });

  it('gets a context with the client address, the origin and non-credential headers only', async () => {
    const contexts: {
      clientAddress: string;
      origin: string;
      headers: Record<string, string | undefined>;
    }[] = [];
    const { relay } = relayWith({
      onEvent: (e, context: EventContext) => {
        contexts.push({
          clientAddress: context.clientAddress,
          origin: context.origin,
          headers: Object.fromEntries(
            [
              'authorization',
              'cookie',
              'x-api-key',
              'x-request-tag',
              'user-agent',
              'content-type',
              'x-absent',
            ].map((name) => [name, context.header(name)]),
          ),
        });
        return e;
      },
    });
    await relay.handle(request({ clientAddress: '::ffff:198.51.100.4' }));
    expect(contexts).toEqual([
      {
        clientAddress: '198.51.100.4',
        origin: ORIGIN,
        headers: {
          authorization: undefined,
          cookie: undefined,
          'x-api-key': undefined,
          'x-request-tag': 'tag-1',
          'user-agent': 'Mozilla/5.0 test',
          'content-type': 'application/json',
          'x-absent': undefined,
        },
      },
    ]);
  });

  // RelayRequest.header may be case-insensitive (a Fetch `Headers.get` based adapter is): the hook must still
  // not read a credential by spelling its name differently (R-CRED-1; EventContext says "always undefined").
  it('cannot read credential headers under another spelling when the adapter looks headers up case-insensitively', async () => {
    const headers = new Headers({
      origin: ORIGIN,
      'content-type': 'application/json',
      authorization: AUTHORIZATION,
      cookie: COOKIE,
      'x-api-key': API_KEY,
    });
    const read: (string | undefined)[] = [];
    const { relay } = relayWith({
      onEvent: (e, context) => {
        read.push(
          context.header('Authorization'),
          context.header('COOKIE'),
          context.header('X-Api-Key'),
        );
        return e;
      },
    });
    await relay.handle({
      method: 'POST',
      header: (name) => headers.get(name) ?? undefined,
      clientAddress: '203.0.113.9',
      body: batch(event('e1')),
    });
    expect(read).toEqual([undefined, undefined, undefined]);
  });

  it('a throwing hook refuses the whole request with 500 internal_error and forwards nothing', async () => {
    const { relay, calls } = relayWith({
      onEvent: (e) => {
        if (e.event_id === id('second')) throw new Error('hook failed');
        return e;
      },
    });
    const response = await relay.handle(request({ body: batch(event('first'), event('second')) }));
    expect(response.status).toBe(500);
    expect(json(response)).toEqual({
      error: 'internal_error',
      message: 'The relay failed while handling the request; nothing was accepted.',
    });
    expect(response.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(calls).toHaveLength(0);
  });

  it('a rejecting async hook is treated the same', async () => {
    const { relay, calls } = relayWith({
      onEvent: async () => Promise.reject(new Error('async hook failed')),
    });
    const response = await relay.handle(request());
    expect(response.status).toBe(500);
    expect(json(response).error).toBe('internal_error');
    expect(calls).toHaveLength(0);
  });
});

describe('logging', () => {
  const scenarios: [string, Partial<BrowserRelayOptions>, RelayRequest, number][] = [
    [
      'the upstream answers 500',
      { fetch: fakeFetch(() => new Response(`echo ${TOKEN}`, { status: 500 })).fetch },
      request(),
      502,
    ],
    [
      'the upstream answers 429',
      {
        fetch: fakeFetch(() => new Response(null, { status: 429, headers: { 'retry-after': '3' } }))
          .fetch,
      },
      request(),
      503,
    ],
    [
      'fetch throws (network error)',
      {
        fetch: fakeFetch(() => Promise.reject(new TypeError(`fetch failed for Bearer ${TOKEN}`)))
          .fetch,
      },
      request(),
      502,
    ],
    [
      'fetch times out',
      {
        fetch: fakeFetch(() => Promise.reject(new DOMException('timed out', 'TimeoutError'))).fetch,
      },
      request(),
      504,
    ],
    [
      'the hook throws',
      {
        onEvent: () => {
          throw new Error('hook exploded');
        },
      },
      request(),
      500,
    ],
    [
      'header() throws',
      {},
      {
        ...request(),
        header: () => {
          throw new Error('adapter exploded');
        },
      },
      500,
    ],
  ];

  it.each(scenarios)(
    'when %s, the logger hears of it without the token, credentials or body text',
    async (_name, options, req, status) => {
      const { entries, logger } = recordingLogger();
      const { relay } = relayWith({ ...options, logger });
      const response = await relay.handle(req);
      expect(response.status).toBe(status);
      // Something was logged, so the secret check below looks at a real message.
      expect(entries.length).toBeGreaterThan(0);
      expectNoSecrets(entries);
      expectNoSecrets(response);
    },
  );

  it('logs nothing secret for requests refused before delivery either', async () => {
    const { entries, logger } = recordingLogger();
    const { relay } = relayWith({ logger });
    const refused: [RelayRequest, number][] = [
      [request({ body: `{"batch":[${BODY_MARKER}` }), 400],
      [request({ body: new Uint8Array([0xff, ...new TextEncoder().encode(BODY_MARKER)]) }), 400],
      [request({ headers: { origin: 'https://evil.example' } }), 403],
      [request({ headers: { 'content-type': 'text/plain' } }), 415],
    ];
    for (const [req, status] of refused) {
      const response = await relay.handle(req);
      expect(response.status).toBe(status);
      expectNoSecrets({ body: response.body, headers: response.headers });
    }
    // An item-level rejection may quote (64 characters of) the unknown type by design; the log still may not.
    await relay.handle(request({ body: batch({ type: BODY_MARKER }) }));
    expectNoSecrets(entries);
  });
});

describe('handle never throws', () => {
  it('answers 500 internal_error when header() throws', async () => {
    const { relay, calls } = relayWith();
    const response = await relay.handle({
      ...request(),
      header: () => {
        throw new Error('boom');
      },
    });
    expect(response).toEqual({
      status: 500,
      headers: {
        vary: 'Origin',
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      },
      body: JSON.stringify({
        error: 'internal_error',
        message: 'The relay failed while handling the request; nothing was accepted.',
      }),
      summary: { code: 'internal_error' },
    });
    expect(calls).toHaveLength(0);
  });

  it('answers 400 body_incomplete when the body stream fails mid-way, and logs no relay failure', async () => {
    const errors: unknown[] = [];
    const { relay, calls } = relayWith({
      logger: { warn: () => undefined, error: (...args) => errors.push(args) },
    });
    async function* failing(): AsyncGenerator<string> {
      yield '{"batch":';
      throw new Error('socket reset');
    }
    const response = await relay.handle(request({ body: failing() }));
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body ?? '{}').error).toBe('body_incomplete');
    expect(errors).toEqual([]);
    expect(calls).toHaveLength(0);
  });

  it('answers 500 when the rate-limit store throws', async () => {
    const store: RateLimitStore = {
      hit: () => Promise.reject(new Error('redis down')),
    };
    expect((await relayWith({ rateLimitStore: store }).relay.handle(request())).status).toBe(500);
  });

  it('answers 500 when the request has no method', async () => {
    const { relay } = relayWith();
    const response = await relay.handle({ ...request(), method: undefined as unknown as string });
    expect(response.status).toBe(500);
  });
});

describe('engine details the fixtures cannot see', () => {
  it('counts IPv6 clients per /64 and passes the configured limit and window to the store', async () => {
    const hits: [string, number, number][] = [];
    const store: RateLimitStore = {
      hit(key, limit, windowMs) {
        hits.push([key, limit, windowMs]);
        return { allowed: true, remaining: 4, resetMs: 1500 };
      },
    };
    const { relay } = relayWith({ rateLimitStore: store, rateLimit: { limit: 5, windowMs: 2000 } });
    const response = await relay.handle(request({ clientAddress: '2001:db8:1:2:aaaa::1' }));
    await relay.handle(request({ clientAddress: '2001:db8:1:2:bbbb::2' }));
    expect(hits).toEqual([
      ['relay:/debugbundle/browser:2001:db8:1:2::/64', 5, 2000],
      ['relay:/debugbundle/browser:2001:db8:1:2::/64', 5, 2000],
    ]);
    expect(response.headers['ratelimit-limit']).toBe('5');
    expect(response.headers['ratelimit-remaining']).toBe('4');
    expect(response.headers['ratelimit-reset']).toBe('2');
  });

  it('counts the forwarded client only behind a trusted proxy', async () => {
    const keys: string[] = [];
    const store: RateLimitStore = {
      hit(key) {
        keys.push(key);
        return { allowed: true, remaining: 1, resetMs: 1000 };
      },
    };
    const trusted = relayWith({ rateLimitStore: store, trustProxy: 'loopback' });
    await trusted.relay.handle(
      request({
        clientAddress: '::ffff:127.0.0.1',
        headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.8' },
      }),
    );
    await trusted.relay.handle(
      request({ clientAddress: '203.0.113.9', headers: { 'x-forwarded-for': '198.51.100.8' } }),
    );
    expect(keys).toEqual([
      'relay:/debugbundle/browser:198.51.100.8',
      'relay:/debugbundle/browser:203.0.113.9',
    ]);
  });

  it('does not consult the rate limit for preflights or refused origins', async () => {
    let hits = 0;
    const store: RateLimitStore = {
      hit() {
        hits++;
        return { allowed: true, remaining: 1, resetMs: 1000 };
      },
    };
    const { relay } = relayWith({ rateLimitStore: store });
    expect((await relay.handle(request({ method: 'OPTIONS' }))).status).toBe(204);
    expect(
      (await relay.handle(request({ headers: { origin: 'https://evil.example' } }))).status,
    ).toBe(403);
    expect(hits).toBe(0);
  });

  it('refuses an oversized body by Content-Length without reading it', async () => {
    let pulled = false;
    const body = {
      [Symbol.asyncIterator]() {
        pulled = true;
        return { next: () => Promise.resolve({ done: true as const, value: undefined }) };
      },
    };
    const { relay } = relayWith({ maxBodyBytes: 100 });
    const response = await relay.handle(request({ headers: { 'content-length': '101' }, body }));
    expect(response.status).toBe(413);
    expect(json(response)).toEqual({
      error: 'payload_too_large',
      message: 'The body is larger than this relay accepts. The limit is 100 bytes.',
    });
    expect(pulled).toBe(false);
  });

  // Without allowedOrigins the Origin is compared with Host. A Host that looks like host:port but is not a
  // valid one (port above 65535, say) is not the same origin: 403, not a crash answered as 500.
  it.each(['app.example:99999', '999.999.999.999', '[1:2]'])(
    'refuses a malformed Host %j with 403 origin_not_allowed',
    async (host) => {
      const { relay } = relayWith({ allowedOrigins: undefined });
      const response = await relay.handle(request({ headers: { host } }));
      expect(response.status).toBe(403);
      expect(json(response).error).toBe('origin_not_allowed');
    },
  );

  it('accepts a same-origin request by Host when no allowedOrigins is set', async () => {
    const { relay } = relayWith({ allowedOrigins: undefined });
    expect((await relay.handle(request({ headers: { host: 'app.example' } }))).status).toBe(202);
    expect((await relay.handle(request({ headers: { host: 'app.example:8443' } }))).status).toBe(
      403,
    );
  });
});

describe("answers DebugBundle's SDKs can act on", () => {
  it('allows credentials to allowed origins only, so beacons from another origin arrive (R-CORS-7)', async () => {
    const { relay } = relayWith();
    const preflight = await relay.handle(request({ method: 'OPTIONS', body: null }));
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    expect(preflight.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect((await relay.handle(request())).headers['access-control-allow-credentials']).toBe(
      'true',
    );
    const refused = await relay.handle(request({ headers: { origin: 'https://evil.example' } }));
    expect(refused.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('with acknowledgeRejections, answers a batch with rejected items 202 and delivers the rest (R-EVENT-8)', async () => {
    const { relay, calls } = relayWith({ acknowledgeRejections: true });
    const response = await relay.handle(
      request({ body: batch(event('ok'), { event_type: 'log_event' }) }),
    );
    expect(response.status).toBe(202);
    expect(json(response)).toEqual({
      accepted: 1,
      rejected: 1,
      errors: [
        {
          index: 1,
          reason: 'event_type_server_only',
          message: 'event type "log_event" is accepted only from server SDKs',
        },
      ],
    });
    expect(calls).toHaveLength(1);
  });

  it('refuses an acknowledgeRejections that is not a boolean', () => {
    expect(() =>
      createBrowserRelay({
        projectToken: TOKEN,
        acknowledgeRejections: 'yes' as unknown as boolean,
      }),
    ).toThrow('acknowledgeRejections must be true or false, got "yes".');
  });

  it('forwards a re-sent event once, counting it accepted, and summarises what happened', async () => {
    const { relay, calls } = relayWith();
    const body = batch(event('once'), event('twice'), { event_type: 'log_event' }, 'x');
    const first = await relay.handle(request({ body }));
    const second = await relay.handle(request({ body }));
    expect(calls).toHaveLength(1);
    expect(calls[0]?.body.events.map((e) => e.event_id)).toEqual([id('once'), id('twice')]);
    expect(json(second)).toEqual(json(first));
    expect(first.summary).toEqual({
      accepted: 2,
      rejected: { event_type_server_only: 1, event_not_object: 1 },
    });
    expect(second.summary).toEqual({
      accepted: 2,
      duplicates: 2,
      rejected: { event_type_server_only: 1, event_not_object: 1 },
    });
  });

  it('forwards a re-sent event again when the first delivery failed (R-DELIVER-8)', async () => {
    let fail = true;
    const upstream = fakeFetch(() => new Response(null, { status: fail ? 500 : 202 }));
    const relay = createBrowserRelay({
      projectToken: TOKEN,
      allowedOrigins: [ORIGIN],
      fetch: upstream.fetch,
    });
    expect((await relay.handle(request())).status).toBe(502);
    fail = false;
    expect((await relay.handle(request())).status).toBe(202);
    expect(upstream.calls).toHaveLength(2);
  });

  it('forwards every retry with dedupWindowMs: 0, and refuses a negative window', async () => {
    const { relay, calls } = relayWith({ dedupWindowMs: 0 });
    await relay.handle(request());
    await relay.handle(request());
    expect(calls).toHaveLength(2);
    expect(() => createBrowserRelay({ projectToken: TOKEN, dedupWindowMs: -1 })).toThrow(
      'dedupWindowMs must be a whole number above 0, got -1.',
    );
  });

  it('uses the dedup store it is given', async () => {
    const remembered: string[] = [];
    const { relay, calls } = relayWith({
      dedupStore: {
        seen: (ids) => ids.map((value) => value === id('known')),
        remember: (ids) => void remembered.push(...ids),
      },
    });
    const response = await relay.handle(request({ body: batch(event('known'), event('new')) }));
    expect(json(response)).toEqual({ accepted: 2, rejected: 0, errors: [] });
    expect(calls[0]?.body.events.map((e) => e.event_id)).toEqual([id('new')]);
    expect(remembered).toEqual([id('new')]);
  });

  it('names the refusal code in the summary', async () => {
    const { relay } = relayWith();
    expect(
      (await relay.handle(request({ headers: { 'content-type': 'text/plain' } }))).summary,
    ).toEqual({ code: 'unsupported_media_type' });
  });
});

describe('bounded answers', () => {
  it('refuses a batch of more than maxBatchEvents events with 413 batch_too_large, forwarding nothing', async () => {
    const { relay, calls } = relayWith({ maxBatchEvents: 3 });
    expect(
      (await relay.handle(request({ body: batch(event('b1'), event('b2'), event('b3')) }))).status,
    ).toBe(202);
    const response = await relay.handle(
      request({ body: batch(event('b4'), event('b5'), event('b6'), event('b7')) }),
    );
    expect(response.status).toBe(413);
    expect(json(response)).toEqual({
      error: 'batch_too_large',
      message:
        'The batch holds more events than this relay takes in one request. The limit is 3 events.',
    });
    expect(calls).toHaveLength(1);
  });

  it('lists at most 256 rejections while counting them all, so junk does not buy an answer many times its size', async () => {
    const { relay } = relayWith();
    const junk = `{"batch":[${Array.from({ length: 1000 }, () => '0').join(',')}]}`;
    const response = await relay.handle(request({ body: junk }));
    const body = json(response);
    expect(response.status).toBe(400);
    expect(body.rejected).toBe(1000);
    expect(body.errors).toHaveLength(256);
    expect((response.body as string).length).toBeLessThan(20 * junk.length);
  });
});

describe('the 0.1 name', () => {
  it('createRelay is createBrowserRelay, kept as a deprecated alias for one minor release', () => {
    expect(createRelay).toBe(createBrowserRelay);
  });
});
