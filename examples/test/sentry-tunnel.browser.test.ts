import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import {
  freePort,
  type ReceivedRequest,
  type RecordingUpstream,
  startUpstream,
} from '@postern/conformance';
import { posternTunnel } from '@postern/express';
import type * as SentryBrowser from '@sentry/browser';
import { getTunnelPath } from '@sentry/core';
import express from 'express';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOnLoopback } from './loopback.js';
import {
  launchChromium,
  recordTunnelPosts,
  sleep,
  waitUntil,
  type TunnelPost,
} from './sentry/browser.js';
import { itemJson, parseEnvelope, SENTRY_REPLY, type EnvelopeItem } from './sentry/envelope.js';
import { buildSdkBundle, pageHtml, sentryVersion } from './sentry/page.js';
import { startStandalone } from './sentry/standalone.js';

declare global {
  interface Window {
    Sentry: typeof SentryBrowser;
  }
}

// The real @sentry/browser, configured with `tunnel`, in real headless Chromium, sending through Postern's
// tunnel to a recording upstream: the Express middleware in an app that also serves the page, then the
// standalone `postern serve` with the page at its origin, then with the page on another origin
// (`tunnel.allowedOrigins`, CORS). Then both again with `tunnel: true`, the path the SDK derives from its
// DSN, served by the tunnel's `managedPaths`. Each: an error, a transaction and a replay segment arrive
// unchanged; then Sentry's 429 and X-Sentry-Rate-Limits reach the SDK, which stops sending what they name.
const PUBLIC_KEY = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const PROJECT_ID = '4242';
const TUNNEL_PATH = '/postern/tunnel';
const PAGE_PATH = '/sentry/';
const SDK_PATH = '/sentry/sdk.js';
const ENVELOPE_PATH = `/api/${PROJECT_ID}/envelope/?sentry_version=7&sentry_key=${PUBLIC_KEY}`;
const ERROR_MESSAGE = 'postern e2e: checkout failed';
const SPAN_NAME = 'postern e2e checkout';

interface Target {
  /** Where the page is. */
  pageOrigin: string;
  /** The path the SDK posts envelopes to: the fixed route, or with `tunnel: true` the one it derives from the DSN. */
  tunnelPath: string;
  /** Where the tunnel is: the page's origin, or another one that lists the page in `allowedOrigins`. */
  tunnelOrigin: string;
  /** Serves the page in `context` when the target itself does not. */
  servePage?: (context: BrowserContext) => Promise<void>;
  /** Server output for failure messages. */
  output?: () => string;
  close(): Promise<void>;
}

let sdk: string;
let browser: Browser;

beforeAll(async () => {
  [sdk, browser] = await Promise.all([buildSdkBundle(), launchChromium()]);
  console.log(`@sentry/browser ${await sentryVersion()}: page bundle ${sdk.length} bytes`);
});

afterAll(async () => {
  await browser?.close();
});

const sha = (bytes: Buffer): string =>
  createHash('sha256').update(bytes).digest('hex').slice(0, 16);
const itemsOf = (body: Buffer): EnvelopeItem[] => parseEnvelope(body).items;
const hasItem = (
  body: Buffer,
  type: string,
  where: (item: EnvelopeItem) => boolean = () => true,
): boolean => itemsOf(body).some((item) => item.header.type === type && where(item));

/** A span as SDK 11 streams it: `span` items with content type `application/vnd.sentry.items.span.v2+json`. */
interface StreamedSpan {
  name: string;
  span_id: string;
  parent_span_id?: string;
  is_segment: boolean;
  attributes?: Record<string, { value: unknown }>;
}
const spansOf = (body: Buffer): StreamedSpan[] =>
  itemsOf(body)
    .filter((item) => item.header.type === 'span')
    .flatMap((item) => (itemJson(item).items as StreamedSpan[]) ?? []);
const segmentsOf = (body: Buffer): StreamedSpan[] =>
  spansOf(body).filter((span) => span.is_segment);
const opOf = (span: StreamedSpan): unknown => span.attributes?.['sentry.op']?.value;

/**
 * The path `Sentry.init({ dsn, tunnel: true })` posts to, as the installed @sentry/core derives it: the test
 * takes the SDK's word for it, not Postern's own implementation.
 */
function sdkTunnelPath(dsn: string): string {
  const path = getTunnelPath(dsn);
  if (path === undefined) throw new Error(`@sentry/core derives no tunnel path from ${dsn}`);
  return path;
}

/**
 * The test's app: Express with the tunnel mounted as the README shows, serving the page beside it. `managed`:
 * mounted at the app root with `managedPaths: true`, and the page's SDK given `tunnel: true`.
 */
function expressTarget(managed: boolean): (dsn: string) => Promise<Target> {
  return async (dsn) => {
    const app = express();
    if (managed) app.use(posternTunnel({ dsns: [dsn], managedPaths: true }));
    else app.use(TUNNEL_PATH, posternTunnel({ dsns: [dsn] }));
    app.get(PAGE_PATH, (_req, res) => {
      res
        .type('html')
        .send(pageHtml({ dsn, tunnel: managed ? true : TUNNEL_PATH, sdkPath: SDK_PATH }));
    });
    app.get(SDK_PATH, (_req, res) => {
      res.type('js').send(sdk);
    });
    const { origin, close } = await listenOnLoopback(createServer(app));
    return {
      pageOrigin: origin,
      tunnelOrigin: origin,
      tunnelPath: managed ? sdkTunnelPath(dsn) : TUNNEL_PATH,
      close,
    };
  };
}

/** A plain `node:http` app on its own origin that serves only the page and the SDK. */
async function pageServer(html: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url === PAGE_PATH)
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else if (req.url === SDK_PATH)
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(sdk);
    else res.writeHead(404).end();
  });
  return listenOnLoopback(server);
}

/**
 * `postern serve` as its own process with a `tunnel` section. `sameOrigin`: the page is at the relay's own
 * origin (the deployment where one proxy fronts both) and the tunnel keeps its same-origin default; the
 * server serves no pages, so Chromium is handed the page and the SDK by request interception of exactly
 * those two URLs, while the tunnel requests go to the server untouched. Otherwise the page comes from an
 * app on another origin, which `tunnel.allowedOrigins` lists, and the SDK is given the tunnel's absolute URL.
 */
function standaloneTarget(sameOrigin: boolean, managed = false): (dsn: string) => Promise<Target> {
  return async (dsn) => {
    const dir = await mkdtemp(join(tmpdir(), 'postern-sentry-e2e-'));
    const port = await freePort();
    const tunnelOrigin = `http://127.0.0.1:${port}`;
    const html = pageHtml({
      dsn,
      tunnel: managed ? true : sameOrigin ? TUNNEL_PATH : `${tunnelOrigin}${TUNNEL_PATH}`,
      sdkPath: SDK_PATH,
    });
    const app = sameOrigin ? undefined : await pageServer(html);
    const pageOrigin = app?.origin ?? tunnelOrigin;
    const server = await startStandalone(port, {
      projectMode: 'local-only',
      localEventsDir: join(dir, 'events'),
      spoolDir: join(dir, 'spool'),
      logLevel: 'warn',
      tunnel: {
        dsns: [dsn],
        path: TUNNEL_PATH,
        ...(managed ? { managedPaths: true } : {}),
        ...(sameOrigin ? {} : { allowedOrigins: [pageOrigin] }),
      },
    });
    return {
      pageOrigin,
      tunnelOrigin,
      tunnelPath: managed ? sdkTunnelPath(dsn) : TUNNEL_PATH,
      output: server.output,
      async servePage(context) {
        if (!sameOrigin) return;
        await context.route(`${pageOrigin}${PAGE_PATH}`, (route) =>
          route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }),
        );
        await context.route(`${pageOrigin}${SDK_PATH}`, (route) =>
          route.fulfill({ status: 200, contentType: 'text/javascript; charset=utf-8', body: sdk }),
        );
      },
      async close() {
        await server.stop();
        await app?.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
}

function describeTunnel(name: string, start: (dsn: string) => Promise<Target>): void {
  describe(`@sentry/browser through ${name}`, () => {
    let sameOrigin = true;
    const cookie = `BROWSER-COOKIE-${randomUUID()}`;
    let sink: RecordingUpstream;
    let target: Target;
    let context: BrowserContext;
    let page: Page;
    let posts: TunnelPost[];
    const pageErrors: string[] = [];

    /** Every tunnel POST answered and every forwarded one recorded, then nothing new for `quietMs`. */
    async function settle(quietMs = 300): Promise<void> {
      for (let round = 0; ; round++) {
        if (round === 30) throw new Error(`the page never stopped sending\n${diagnose()}`);
        await waitUntil(`every tunnel POST to be answered\n${diagnose()}`, () =>
          posts.every((post) => post.status !== undefined || post.failure !== undefined),
        );
        const [sent, received] = [posts.length, sink.received.length];
        await sleep(quietMs);
        if (
          posts.length === sent &&
          sink.received.length === received &&
          posts.every((post) => post.status !== undefined || post.failure !== undefined)
        )
          return;
      }
    }

    const diagnose = (): string =>
      `browser POSTs: ${JSON.stringify(posts.map((post) => ({ status: post.status, failure: post.failure, bytes: post.body.length, items: itemsOf(post.body).map((item) => item.header.type) })))}\n` +
      `sink: ${JSON.stringify(sink.received.map((request) => ({ url: request.path, answered: request.answered, bytes: request.raw.length })))}\n` +
      `page errors: ${JSON.stringify(pageErrors)}\n${target?.output?.() ?? ''}`;

    beforeAll(async () => {
      sink = await startUpstream({ reply: SENTRY_REPLY });
      const dsn = sink.dsn(PROJECT_ID, PUBLIC_KEY);
      target = await start(dsn);
      sameOrigin = target.pageOrigin === target.tunnelOrigin;
      context = await browser.newContext();
      await target.servePage?.(context);
      // A cookie on the tunnel's origin: a same-origin page sends it with every envelope; it must stop there.
      await context.addCookies([{ name: 'app_session', value: cookie, url: target.tunnelOrigin }]);
      page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      posts = recordTunnelPosts(page, target.tunnelPath);
      await page.goto(`${target.pageOrigin}${PAGE_PATH}`);
      await page.waitForFunction(
        () => window.Sentry.getReplay()?.getReplayId() !== undefined,
        undefined,
        { timeout: 10_000 },
      );
    });

    afterAll(async () => {
      await context?.close();
      await target?.close();
      await sink?.close();
    });

    it('delivers an error, a transaction and a replay segment byte for byte, to the envelope endpoint, without the cookie', async () => {
      await page.click('#pay');
      const sent = await page.evaluate(
        async ({ message, spanName }) => {
          const Sentry = window.Sentry;
          const errorId = Sentry.captureException(new Error(message));
          await Sentry.startSpan(
            { name: spanName, op: 'e2e.checkout', forceTransaction: true },
            async () => {
              await Sentry.startSpan(
                { name: 'compute total', op: 'function' },
                () => new Promise((resolve) => setTimeout(resolve, 20)),
              );
            },
          );
          await Sentry.flush(5000);
          const replay = Sentry.getReplay();
          await replay?.flush();
          return { errorId, replayId: replay?.getReplayId() };
        },
        { message: ERROR_MESSAGE, spanName: SPAN_NAME },
      );
      expect(sent.replayId).toMatch(/^[0-9a-f]{32}$/);

      const arrived = (type: string, where?: (item: EnvelopeItem) => boolean) => () =>
        sink.received.some((request) => hasItem(request.raw, type, where));
      await waitUntil(
        `the error event at the sink\n${diagnose()}`,
        arrived('event', (item) => itemJson(item).event_id === sent.errorId),
      );
      await waitUntil(
        `the "${SPAN_NAME}" transaction (segment span) at the sink\n${diagnose()}`,
        () =>
          sink.received.some((request) =>
            segmentsOf(request.raw).some((span) => span.name === SPAN_NAME),
          ),
      );
      await waitUntil(`the pageload transaction (segment span) at the sink\n${diagnose()}`, () =>
        sink.received.some((request) =>
          segmentsOf(request.raw).some((span) => opOf(span) === 'pageload'),
        ),
      );
      await waitUntil(`a replay segment at the sink\n${diagnose()}`, arrived('replay_recording'));
      await settle();

      // Every envelope the page sent was answered 200 and reached the upstream once, unchanged.
      expect(posts.length, diagnose()).toBeGreaterThan(0);
      expect(
        posts.map((post) => post.status),
        diagnose(),
      ).toEqual(posts.map(() => 200));
      expect(sink.received.map((request) => sha(request.raw)).sort(), diagnose()).toEqual(
        posts.map((post) => sha(post.body)).sort(),
      );
      for (const request of sink.received) {
        expect(request.method).toBe('POST');
        expect(request.path).toBe(ENVELOPE_PATH);
        expect(request.headers['content-type']).toBe('application/x-sentry-envelope');
        expect(request.headers.cookie, 'a browser cookie reached the upstream').toBeUndefined();
        expect(
          request.rawHeaders.join('\n'),
          'the cookie value reached the upstream in some header',
        ).not.toContain(cookie);
      }
      // Same origin, the cookie was offered: the browser sent it to the tunnel with every POST. Cross-origin the
      // SDK's fetch (credentials: same-origin) sends none, and the tunnel's CORS answer let the page read the
      // status (the SDK acts on it; see the rate-limit test).
      for (const post of posts) {
        if (sameOrigin) expect(post.headers?.cookie).toContain(`app_session=${cookie}`);
        else {
          expect(post.headers?.origin).toBe(target.pageOrigin);
          expect(post.responseHeaders?.['access-control-allow-origin']).toBe(target.pageOrigin);
        }
      }

      // `tunnel: true`: the SDK chose the path from its DSN (only POSTs there were recorded, and they are every
      // envelope the upstream got), and sent the content type it sets for a managed tunnel.
      if (target.tunnelPath !== TUNNEL_PATH)
        for (const post of posts)
          expect(post.headers?.['content-type']).toBe('application/x-sentry-envelope');

      // The error.
      const errorRequest = sink.received.find((request) =>
        hasItem(request.raw, 'event', (item) => itemJson(item).event_id === sent.errorId),
      ) as ReceivedRequest;
      const event = itemJson(
        itemsOf(errorRequest.raw).find((item) => item.header.type === 'event') as EnvelopeItem,
      );
      expect((event.exception as { values: Array<{ value: string }> }).values[0]?.value).toBe(
        ERROR_MESSAGE,
      );
      expect(
        (parseEnvelope(errorRequest.raw).header.trace as { replay_id?: string }).replay_id,
      ).toBe(sent.replayId);

      // The transaction: SDK 11 streams spans (span v2 container items) by default; the segment and its child.
      const spanRequest = sink.received.find((request) =>
        segmentsOf(request.raw).some((span) => span.name === SPAN_NAME),
      ) as ReceivedRequest;
      const spans = spansOf(spanRequest.raw);
      const segment = spans.find((span) => span.name === SPAN_NAME) as StreamedSpan;
      expect(opOf(segment)).toBe('e2e.checkout');
      expect(spans.find((span) => span.name === 'compute total')?.parent_span_id).toBe(
        segment.span_id,
      );

      // The replay: the segment the browser POSTed, compressed binary, arrives byte-equal.
      const replayPosts = posts.filter((post) => hasItem(post.body, 'replay_recording'));
      expect(replayPosts.length).toBeGreaterThanOrEqual(1);
      for (const post of replayPosts) {
        const same = sink.received.filter((request) => request.raw.equals(post.body));
        expect(
          same,
          `replay envelope ${sha(post.body)} (${post.body.length} bytes) did not arrive byte-equal`,
        ).toHaveLength(1);
        const recording = itemsOf(post.body).find(
          (item) => item.header.type === 'replay_recording',
        ) as EnvelopeItem;
        const newline = recording.payload.indexOf(0x0a);
        const segment = JSON.parse(recording.payload.subarray(0, newline).toString('utf8')) as {
          segment_id: number;
        };
        const compressed = recording.payload.subarray(newline + 1);
        expect(compressed[0], 'the recording is not zlib-compressed').toBe(0x78);
        expect(
          Buffer.from(compressed.toString('utf8'), 'utf8').equals(compressed),
          'the recording should not be valid UTF-8',
        ).toBe(false);
        const events = JSON.parse(inflateSync(compressed).toString('utf8')) as Array<{
          type: number;
        }>;
        if (segment.segment_id === 0) expect(events.map((e) => e.type)).toContain(2); // rrweb full snapshot
        const replayEvent = itemJson(
          itemsOf(post.body).find((item) => item.header.type === 'replay_event') as EnvelopeItem,
        );
        expect(replayEvent.replay_id).toBe(sent.replayId);
        if (segment.segment_id === 0) expect(replayEvent.error_ids).toContain(sent.errorId);
      }
      expect(pageErrors).toEqual([]);
      console.log(
        `${name}: ${posts.length} tunnel POSTs = ${sink.received.length} upstream requests (${sink.received
          .map(
            (request) =>
              `${itemsOf(request.raw)
                .map((item) => item.header.type)
                .join('+')} ${request.raw.length} B`,
          )
          .join(', ')}); ` +
          `replay envelopes byte-equal: ${replayPosts.map((post) => `${post.body.length} B`).join(', ')}`,
      );
    });

    // Same origin: Sentry's `60::organization` (every category) must silence the SDK entirely. Cross-origin
    // the limit names one category, `60:error:organization`: the SDK can tell it from a bare 429 (which it
    // treats as "everything for 60 s") only if the tunnel exposed X-Sentry-Rate-Limits through CORS, so
    // errors must stop while a transaction still goes through.
    it('passes a 429 with X-Sentry-Rate-Limits back, and the SDK then holds back what it names', async () => {
      const limit = sameOrigin ? '60::organization' : '60:error:organization';
      await settle();
      sink.answerNext({
        status: 429,
        headers: {
          'x-sentry-rate-limits': limit,
          'retry-after': '60',
          'content-type': 'application/json',
        },
        body: '{"detail":"rate limited"}',
      });
      const [postsBefore, sinkBefore] = [posts.length, sink.received.length];
      await page.evaluate(async () => {
        window.Sentry.captureException(new Error('postern e2e: the request that is rate limited'));
        await window.Sentry.flush(5000);
      });
      await waitUntil(`the page to receive the 429\n${diagnose()}`, () =>
        posts.some((post) => post.status === 429),
      );
      await settle();
      const limited = posts.filter((post) => post.status === 429);
      expect(limited, diagnose()).toHaveLength(1);
      expect(sink.received.filter((request) => request.answered === 429)).toHaveLength(1);
      expect(limited[0]?.responseHeaders?.['x-sentry-rate-limits']).toBe(limit);
      expect(limited[0]?.responseHeaders?.['retry-after']).toBe('60');
      if (!sameOrigin)
        expect(
          limited[0]?.responseHeaders?.['access-control-expose-headers']?.toLowerCase(),
        ).toContain('x-sentry-rate-limits');
      expect(posts.length - postsBefore).toBeGreaterThanOrEqual(1);
      expect(sink.received.length - sinkBefore).toBe(posts.length - postsBefore);

      // From now on the SDK holds back what the limit names: errors, and with `60::organization` everything.
      const [postsAfter, sinkAfter] = [posts.length, sink.received.length];
      const afterSpan = `${SPAN_NAME} after the limit`;
      await page.click('#pay');
      const dropped = await page.evaluate(async (spanName) => {
        const Sentry = window.Sentry;
        const ids = [1, 2, 3].map((n) =>
          Sentry.captureException(new Error(`postern e2e: after the limit ${n}`)),
        );
        await Sentry.startSpan(
          { name: spanName, forceTransaction: true },
          () => new Promise((resolve) => setTimeout(resolve, 20)),
        );
        await Sentry.flush(3000);
        await Sentry.getReplay()?.flush();
        return ids;
      }, afterSpan);
      expect(dropped).toHaveLength(3);
      if (sameOrigin) {
        await sleep(3000);
        expect(
          posts.length - postsAfter,
          `the page kept sending to the tunnel after the 429\n${diagnose()}`,
        ).toBe(0);
        expect(
          sink.received.length - sinkAfter,
          `the upstream kept receiving after the 429\n${diagnose()}`,
        ).toBe(0);
      } else {
        await waitUntil(`the transaction after an error-only limit\n${diagnose()}`, () =>
          sink.received.some((request) =>
            segmentsOf(request.raw).some((span) => span.name === afterSpan),
          ),
        );
        await sleep(1000);
        await settle();
        const laterPosts = posts.slice(postsAfter);
        const laterSink = sink.received.slice(sinkAfter);
        expect(
          laterPosts.filter((post) => hasItem(post.body, 'event')),
          `errors kept coming after 60:error\n${diagnose()}`,
        ).toEqual([]);
        expect(laterSink.filter((request) => hasItem(request.raw, 'event'))).toEqual([]);
        expect(laterPosts.map((post) => post.status)).toEqual(laterPosts.map(() => 200));
      }
      expect(pageErrors).toEqual([]);
      const later = posts.slice(postsAfter).map((post) =>
        itemsOf(post.body)
          .map((item) => item.header.type)
          .join('+'),
      );
      console.log(
        `${name}: 429 passed through (${limited.length} POST answered 429, x-sentry-rate-limits ${limited[0]?.responseHeaders?.['x-sentry-rate-limits']}, retry-after ${limited[0]?.responseHeaders?.['retry-after']}, ` +
          `access-control-expose-headers ${limited[0]?.responseHeaders?.['access-control-expose-headers'] ?? '(none)'}); then 3 errors, 1 transaction and a replay flush gave ${posts.length - postsAfter} tunnel POSTs [${later.join(', ')}] and ${sink.received.length - sinkAfter} upstream requests`,
      );
    });
  });
}

describeTunnel('the Express middleware (posternTunnel)', expressTarget(false));
describeTunnel('the standalone server (postern serve)', standaloneTarget(true));
describeTunnel(
  'the standalone server from a page on another origin (tunnel.allowedOrigins)',
  standaloneTarget(false),
);
describeTunnel(
  'the Express middleware at the app root with managedPaths (tunnel: true)',
  expressTarget(true),
);
describeTunnel(
  'the standalone server with managedPaths (tunnel: true)',
  standaloneTarget(true, true),
);
