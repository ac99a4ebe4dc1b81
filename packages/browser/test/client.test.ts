import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { init, type InitOptions, type PosternClient } from '../src/index.js';
import { parseRetryAfter } from '../src/transport.js';
import { acknowledge, ENDPOINT, fakePage, json, settled, type FakePage } from './fake-page.js';

let page: FakePage;
let client: PosternClient | undefined;

function start(options: Partial<InitOptions> = {}): PosternClient {
  client = init({ endpoint: ENDPOINT, service: 'checkout-web', environment: 'test', ...options });
  return client;
}

/** Lets the timer fire and every send it started finish. */
async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await settled(page);
}

const ids = (batch: Array<{ event_id: string }>): string[] => batch.map((event) => event.event_id);

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
  });
  page = fakePage();
});

afterEach(async () => {
  page.answers.length = 0;
  await client?.close();
  client = undefined;
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('init', () => {
  it('refuses options it cannot send with, naming the option', () => {
    expect(() => init({ endpoint: '', service: 'web', environment: 'prod' })).toThrow(/endpoint/);
    expect(() => init({ endpoint: ENDPOINT, service: '', environment: 'prod' })).toThrow(/service/);
    expect(() => init({ endpoint: ENDPOINT, service: 'web', environment: ' ' })).toThrow(
      /environment/,
    );
    expect(() =>
      init({ endpoint: ENDPOINT, service: 'web', environment: 'prod', maxBatchSize: 0 }),
    ).toThrow(/maxBatchSize/);
  });
});

describe('batching', () => {
  it('sends queued events as one JSON batch every flushIntervalMs, same-origin credentials, no keepalive', async () => {
    const postern = start();
    postern.addBreadcrumb('click', { target: 'pay' });
    postern.addBreadcrumb('form_submit', { form: 'address' });
    postern.captureException(new Error('card declined'));
    await advance(2999);
    expect(page.posts).toHaveLength(0);
    await advance(1);
    expect(page.posts).toHaveLength(1);
    const [post] = page.posts;
    expect(post?.url).toBe(ENDPOINT);
    expect(post?.init).toMatchObject({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      credentials: 'same-origin',
      keepalive: false,
    });
    expect(post?.batch.map((event) => event.event_type)).toEqual([
      'frontend_breadcrumb',
      'frontend_breadcrumb',
      'frontend_exception',
    ]);
    expect(Object.keys(JSON.parse(String(post?.init.body)) as object)).toEqual(['batch']);
    expect(postern.stats()).toMatchObject({ queued: 0, sent: 3, dropped: 0, refused: 0 });
  });

  it('sends at once when maxBatchSize events are queued, and never more than that per request', async () => {
    const postern = start({ maxBatchSize: 3 });
    postern.addBreadcrumb('console_log', { n: 0 });
    postern.addBreadcrumb('console_log', { n: 1 });
    await settled(page);
    expect(page.posts).toHaveLength(0);
    postern.addBreadcrumb('console_log', { n: 2 });
    await settled(page);
    expect(page.posts.map((post) => post.batch.length)).toEqual([3]);
    for (let n = 3; n < 10; n++) postern.addBreadcrumb('console_log', { n });
    await settled(page);
    expect(page.posts.map((post) => post.batch.length)).toEqual([3, 3, 3, 1]);
  });

  it('keeps the queue bounded: the oldest non-exception events go first, and are counted', async () => {
    const postern = start({ maxQueueSize: 4, maxBatchSize: 100 });
    const exception = postern.captureException(new Error('kept'));
    const crumbs = [0, 1, 2, 3, 4].map((n) => postern.addBreadcrumb('click', { n }));
    expect(postern.stats()).toMatchObject({ queued: 4, dropped: 2 });
    await postern.flush();
    expect(ids(page.posts[0]?.batch ?? [])).toEqual([exception, crumbs[2], crumbs[3], crumbs[4]]);
  });

  it('sends one request at a time', async () => {
    let release: (response: Response) => void = () => undefined;
    page.answers.push(() => new Promise<Response>((resolve) => (release = resolve)));
    const postern = start({ maxBatchSize: 2 });
    for (let n = 0; n < 6; n++) postern.addBreadcrumb('click', { n });
    await settled(page);
    expect(page.posts).toHaveLength(1);
    release(acknowledge(2));
    await settled(page);
    expect(page.posts.map((post) => post.batch.length)).toEqual([2, 2, 2]);
    expect(postern.stats().sent).toBe(6);
  });
});

describe('answers', () => {
  it('2xx acknowledgement: events rejected as rate_limited or over quota are sent again, others are dropped', async () => {
    const postern = start();
    const sent = [0, 1, 2, 3].map((n) => postern.addBreadcrumb('click', { n }) as string);
    page.answers.push(() =>
      json(202, {
        accepted: 1,
        rejected: 3,
        errors: [
          { index: 0, reason: 'rate_limited', message: 'later' },
          { index: 1, reason: 'event_invalid', message: 'never' },
          { index: 3, reason: 'monthly_quota_exceeded', message: 'later' },
        ],
      }),
    );
    await postern.flush();
    expect(postern.stats()).toMatchObject({ queued: 2, sent: 1, refused: 1 });
    await advance(3000);
    expect(ids(page.posts[1]?.batch ?? [])).toEqual([sent[0], sent[3]]);
    expect(postern.stats()).toMatchObject({ queued: 0, sent: 3, refused: 1 });
  });

  it('a 2xx without an acknowledgement body delivered the batch', async () => {
    const postern = start();
    postern.addBreadcrumb('click', {});
    page.answers.push(() => new Response(null, { status: 204 }));
    await postern.flush();
    await advance(10_000);
    expect(page.posts).toHaveLength(1);
    expect(postern.stats()).toMatchObject({ queued: 0, sent: 1 });
  });

  it('429 with Retry-After: keeps the batch, waits that long, then sends the same event_ids', async () => {
    const postern = start();
    const sent = [postern.addBreadcrumb('click', {}), postern.captureException(new Error('x'))];
    page.answers.push(() =>
      json(429, { error: 'rate_limited', message: 'slow down' }, { 'retry-after': '10' }),
    );
    await postern.flush();
    expect(postern.stats().queued).toBe(2);
    await advance(9000);
    expect(page.posts).toHaveLength(1);
    await advance(3000);
    expect(page.posts).toHaveLength(2);
    expect(ids(page.posts[1]?.batch ?? [])).toEqual(sent);
  });

  it.each([408, 500, 502, 503, 504])(
    '%i: keeps the batch and retries it with backoff',
    async (status) => {
      vi.spyOn(Math, 'random').mockReturnValue(0.999_999); // the top of the jitter: 1 s, then 2 s
      const postern = start({ flushIntervalMs: 100 });
      const sent = [postern.addBreadcrumb('click', {})];
      page.answers.push(() => json(status, { error: 'upstream_error', message: 'down' }));
      page.answers.push(() => json(status, { error: 'upstream_error', message: 'down' }));
      await postern.flush();
      await advance(900);
      expect(page.posts).toHaveLength(1);
      await advance(200);
      expect(page.posts).toHaveLength(2);
      await advance(1800);
      expect(page.posts).toHaveLength(2);
      await advance(200);
      expect(page.posts).toHaveLength(3);
      expect(page.posts.map((post) => ids(post.batch))).toEqual([sent, sent, sent]);
      expect(postern.stats()).toMatchObject({ queued: 0, sent: 1, refused: 0 });
    },
  );

  it('no answer (a network error): retries with the same event_ids, which the relay forwards once (R-DELIVER-7)', async () => {
    const postern = start();
    const sent = [postern.addBreadcrumb('click', {}), postern.addBreadcrumb('click', {})];
    page.answers.push(() => new TypeError('Failed to fetch'));
    await postern.flush();
    expect(postern.stats().queued).toBe(2);
    await advance(3000);
    expect(page.posts.map((post) => ids(post.batch))).toEqual([sent, sent]);
  });

  it('any other 4xx: drops the batch for good, counts it, and warns once', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const postern = start({ maxBatchSize: 1 });
    page.answers.push(() => json(403, { error: 'origin_not_allowed', message: 'no' }));
    page.answers.push(() => json(413, { error: 'payload_too_large', message: 'no' }));
    postern.addBreadcrumb('click', { n: 1 });
    postern.addBreadcrumb('click', { n: 2 });
    postern.addBreadcrumb('click', { n: 3 });
    await settled(page);
    await advance(10_000);
    expect(page.posts).toHaveLength(3);
    expect(postern.stats()).toMatchObject({ queued: 0, sent: 1, refused: 2 });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('403 (origin_not_allowed)');
  });

  it('a 400 for a mixed batch: the accepted events count as sent, the batch is never sent again', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const postern = start();
    postern.addBreadcrumb('click', {});
    postern.addBreadcrumb('click', {});
    page.answers.push(() =>
      json(400, {
        accepted: 1,
        rejected: 1,
        errors: [{ index: 1, reason: 'event_invalid', message: 'bad' }],
      }),
    );
    await postern.flush();
    await advance(10_000);
    expect(page.posts).toHaveLength(1);
    expect(postern.stats()).toMatchObject({ queued: 0, sent: 1, refused: 1 });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-12-07T10:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Mon, 07 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Mon, 07 Dec 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe('when the page is hidden or unloaded', () => {
  it('pagehide hands the queue to sendBeacon as an application/json Blob, and nothing is sent twice', async () => {
    const postern = start();
    const sent = [postern.captureException(new Error('x')), postern.addBreadcrumb('click', {})];
    page.hide('pagehide');
    await settled(page);
    expect(page.beacons).toHaveLength(1);
    expect(page.beacons[0]).toMatchObject({ url: ENDPOINT, type: 'application/json' });
    expect(Object.keys(JSON.parse(page.beacons[0]?.body ?? '') as object)).toEqual(['batch']);
    expect(ids(page.beacons[0]?.batch ?? [])).toEqual(sent);
    expect(postern.stats()).toMatchObject({ queued: 0, beaconed: 2 });
    page.hide('pagehide');
    await advance(10_000);
    expect(page.beacons).toHaveLength(1);
    expect(page.posts).toHaveLength(0);
  });

  it('visibilitychange to hidden sends too; the pagehide that follows finds nothing left', async () => {
    const postern = start();
    postern.addBreadcrumb('click', {});
    page.hide('visibilitychange');
    page.hide('pagehide');
    await settled(page);
    expect(page.beacons.map((beacon) => beacon.batch.length)).toEqual([1]);
  });

  it('the batch a fetch is still sending goes in the beacon too, once (the relay drops ids it already forwarded)', async () => {
    let cancel: (error: Error) => void = () => undefined;
    page.answers.push(() => new Promise<Error>((resolve) => (cancel = resolve)));
    const postern = start();
    const inFlight = postern.addBreadcrumb('click', { n: 1 });
    void postern.flush();
    await settled(page);
    const queued = postern.addBreadcrumb('click', { n: 2 });
    page.hide('visibilitychange');
    page.hide('pagehide');
    await settled(page);
    expect(page.beacons.map((beacon) => ids(beacon.batch))).toEqual([[inFlight, queued]]);
    cancel(new TypeError('Failed to fetch')); // what the unload does to it
  });

  it('exceptions go first, so what the browser budget leaves out is breadcrumbs', async () => {
    const postern = start();
    const crumb = postern.addBreadcrumb('click', {});
    const exception = postern.captureException(new Error('x'));
    page.hide('pagehide');
    await settled(page);
    expect(page.beacons.map((beacon) => ids(beacon.batch))).toEqual([[exception, crumb]]);
  });

  it.each([
    ['returns false', () => false],
    [
      'throws',
      () => {
        throw new TypeError('sendBeacon is not allowed');
      },
    ],
  ])('when sendBeacon %s, a keepalive fetch carries the events', async (_name, verdict) => {
    page.beaconVerdict = verdict;
    const postern = start();
    const sent = [postern.addBreadcrumb('click', {})];
    page.hide('pagehide');
    await settled(page);
    expect(page.posts).toHaveLength(1);
    expect(page.posts[0]?.init).toMatchObject({
      method: 'POST',
      keepalive: true,
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
    });
    expect(ids(page.posts[0]?.batch ?? [])).toEqual(sent);
    expect(postern.stats()).toMatchObject({ queued: 0, beaconed: 0, sent: 1 });
  });

  it('splits the queue into beacons under 60 KiB; an event bigger than that goes alone by fetch', async () => {
    const postern = start({ maxBatchSize: 100 });
    const small = Array.from({ length: 10 }, (_, n) =>
      postern.addBreadcrumb('console_log', { n, text: 'x'.repeat(10_000) }),
    );
    const huge = postern.addBreadcrumb('console_log', { text: 'y'.repeat(70_000) });
    page.hide('pagehide');
    await settled(page);
    for (const beacon of page.beacons)
      expect(new TextEncoder().encode(beacon.body).length).toBeLessThanOrEqual(60 * 1024);
    expect(page.beacons.flatMap((beacon) => ids(beacon.batch))).toEqual(small);
    expect(page.beacons.length).toBeGreaterThanOrEqual(2);
    expect(page.posts.map((post) => ids(post.batch))).toEqual([[huge]]);
    expect(page.posts[0]?.init.keepalive).toBe(false); // over the browser's 64 KiB keepalive budget: a keepalive fetch would be refused outright
  });

  it('a keepalive fetch that fails leaves its events queued for the next send, should the page live on', async () => {
    page.beaconVerdict = () => false;
    page.answers.push(() => new TypeError('Failed to fetch'));
    const postern = start();
    const sent = [postern.addBreadcrumb('click', {})];
    page.hide('visibilitychange');
    await settled(page);
    expect(postern.stats().queued).toBe(1);
    await advance(3000);
    expect(page.posts.map((post) => ids(post.batch))).toEqual([sent, sent]);
  });
});

describe('automatic capture', () => {
  it('reports fetch calls answered 400 and above, and those with no answer, as request_event; not aborts, not its own', async () => {
    page.app.set('/api/pay', () => json(500, { error: 'boom' }));
    page.app.set('/api/missing', () => new Response('nope', { status: 404 }));
    page.app.set('/api/down', () => new TypeError('Failed to fetch'));
    page.app.set(
      '/api/aborted',
      () => new DOMException('The user aborted a request.', 'AbortError'),
    );
    const postern = start();
    const appFetch = page.window.fetch;
    expect(appFetch).not.toBe(page.baseFetch);

    const paid = await appFetch('/api/pay?order=42&coupon=none', { method: 'post' });
    expect(paid.status).toBe(500);
    expect(await paid.json()).toEqual({ error: 'boom' });
    await appFetch(new Request('https://app.example/api/missing'));
    await expect(appFetch('/api/down')).rejects.toThrow('Failed to fetch');
    await expect(appFetch('/api/aborted')).rejects.toThrow('aborted');
    await appFetch('/api/ok');
    await appFetch(ENDPOINT, { method: 'POST', body: JSON.stringify({ batch: [{}] }) }); // the relay itself, even called by the app
    expect(page.posts).toHaveLength(1);
    page.posts.length = 0;

    page.answers.push(() => json(500, { error: 'upstream_error' })); // the client's own send failing is not a request_event either
    await postern.flush();
    await advance(3000);
    expect(page.posts).toHaveLength(2);
    expect(ids(page.posts[1]?.batch ?? [])).toEqual(ids(page.posts[0]?.batch ?? []));
    const requests = page.posts[1]?.batch ?? [];
    expect(requests.map((event) => event.event_type)).toEqual([
      'request_event',
      'request_event',
      'request_event',
    ]);
    expect(requests.map((event) => event.payload)).toEqual([
      {
        method: 'POST',
        path: '/api/pay',
        query: { order: '42', coupon: 'none' },
        headers: {},
        response_status: 500,
        duration_ms: expect.any(Number),
      },
      {
        method: 'GET',
        path: '/api/missing',
        query: {},
        headers: {},
        response_status: 404,
        duration_ms: expect.any(Number),
      },
      {
        method: 'GET',
        path: '/api/down',
        query: {},
        headers: {},
        response_status: 0,
        duration_ms: expect.any(Number),
      },
    ]);
  });

  it('reports window errors and unhandled rejections as frontend_exception, with the breadcrumbs before them', async () => {
    const postern = start();
    postern.addBreadcrumb('click', { target: 'pay' });
    const error = new TypeError('total is undefined');
    page.window.dispatchEvent(
      Object.assign(new Event('error'), {
        error,
        message: `Uncaught ${error.message}`,
        filename: 'https://app.example/app.js',
        lineno: 12,
        colno: 7,
      }),
    );
    page.window.dispatchEvent(
      Object.assign(new Event('error'), {
        error: null,
        message: 'Script error.',
        filename: '',
        lineno: 0,
        colno: 0,
      }),
    );
    page.window.dispatchEvent(
      Object.assign(new Event('unhandledrejection'), { reason: 'payment timed out' }),
    );
    page.window.dispatchEvent(
      Object.assign(new Event('unhandledrejection'), { reason: new RangeError('bad amount') }),
    );
    page.window.dispatchEvent(new Event('error')); // a bare Event: not an ErrorEvent, not reported
    await postern.flush();
    const exceptions = page
      .events()
      .filter((event) => event.event_type === 'frontend_exception')
      .map((event) => event.payload);
    expect(exceptions).toHaveLength(4);
    expect(exceptions[0]).toMatchObject({
      name: 'TypeError',
      message: 'total is undefined',
      route: '/checkout',
      browser: { name: 'Chrome', version: '131.0.6778.85' },
      breadcrumbs: [
        {
          breadcrumb_type: 'click',
          route: '/checkout',
          data: { target: 'pay' },
          ts: expect.any(String),
        },
      ],
      browser_event: {
        kind: 'window_error',
        message: 'Uncaught total is undefined',
        file_name: 'https://app.example/app.js',
        line_number: 12,
        column_number: 7,
        target: null,
        opaque: false,
      },
    });
    expect(exceptions[0]?.stack).toContain('TypeError: total is undefined');
    expect(exceptions[1]).toMatchObject({
      name: 'Error',
      message: 'Script error.',
      stack: 'Error: Script error.',
      browser_event: { opaque: true, file_name: null },
    });
    expect(exceptions[2]).toMatchObject({
      name: 'UnhandledRejection',
      message: 'payment timed out',
      rejection_reason: { kind: 'string', preview: 'payment timed out' },
    });
    expect(exceptions[3]).toMatchObject({
      name: 'RangeError',
      message: 'bad amount',
      rejection_reason: { kind: 'error', name: 'RangeError', message: 'bad amount' },
    });
  });

  it('records route changes from pushState, replaceState and popstate as route_change breadcrumbs', async () => {
    const postern = start();
    page.window.history.pushState({}, '', '/checkout/address');
    page.window.history.pushState({}, '', '/checkout/address?tab=2'); // same path: not a route change
    page.window.history.replaceState({}, '', '/checkout/pay');
    page.window.location.href = 'https://app.example/checkout';
    page.window.dispatchEvent(new Event('popstate'));
    postern.captureException(new Error('after navigating'));
    await postern.flush();
    const routes = page
      .events()
      .filter((event) => event.event_type === 'frontend_breadcrumb')
      .map((event) => event.payload);
    expect(routes).toEqual([
      {
        breadcrumb_type: 'route_change',
        route: '/checkout/address',
        data: { from: '/checkout', to: '/checkout/address' },
      },
      {
        breadcrumb_type: 'route_change',
        route: '/checkout/pay',
        data: { from: '/checkout/address', to: '/checkout/pay' },
      },
      {
        breadcrumb_type: 'route_change',
        route: '/checkout',
        data: { from: '/checkout/pay', to: '/checkout' },
      },
    ]);
    const exception = page.events().find((event) => event.event_type === 'frontend_exception');
    expect(exception?.payload.breadcrumbs).toHaveLength(3);
  });

  it('snapshots breadcrumb data when it is added, and survives data that cannot be serialised', async () => {
    const postern = start();
    const data: Record<string, unknown> = { step: 1 };
    postern.addBreadcrumb('click', data);
    data.step = 2;
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    postern.addBreadcrumb('click', cyclic);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(postern.addBreadcrumb('nope' as 'click', {})).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    await postern.flush();
    expect(page.events().map((event) => event.payload.data)).toEqual([
      { step: 1 },
      { unserialisable: true },
    ]);
  });

  it('close() restores fetch and history, stops listening and sends what is queued', async () => {
    const fetchBefore = page.window.fetch;
    const pushBefore = page.window.history.pushState;
    const postern = start();
    expect(page.window.fetch).not.toBe(fetchBefore);
    expect(page.window.history.pushState).not.toBe(pushBefore);
    postern.addBreadcrumb('click', {});
    await postern.close();
    client = undefined;
    expect(page.window.fetch).toBe(fetchBefore);
    expect(page.window.history.pushState).toBe(pushBefore);
    expect(page.posts).toHaveLength(1);
    page.window.dispatchEvent(
      Object.assign(new Event('error'), { error: new Error('after close'), message: 'x' }),
    );
    page.hide('pagehide');
    expect(postern.captureException(new Error('after close'))).toBeUndefined();
    await advance(10_000);
    expect(page.posts).toHaveLength(1);
    expect(page.beacons).toHaveLength(0);
  });

  it('every event of one init carries its session_id; another init has another', async () => {
    const first = start();
    first.addBreadcrumb('click', {});
    first.captureException(new Error('x'));
    await first.close();
    const second = start();
    second.addBreadcrumb('click', {});
    await second.flush();
    const sessions = page
      .events()
      .map((event) => (event.correlation as { session_id: string }).session_id);
    expect(sessions).toEqual([first.sessionId, first.sessionId, second.sessionId]);
    expect(first.sessionId).not.toBe(second.sessionId);
  });
});
