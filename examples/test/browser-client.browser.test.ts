import { randomUUID } from 'node:crypto';
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startUpstream, type RecordingUpstream } from '@postern/conformance';
import { posternRelay } from '@postern/express';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { build } from 'esbuild';
import express from 'express';
import type { Browser, ConsoleMessage } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOnLoopback } from './loopback.js';
import { launchChromium, sleep, waitUntil } from './sentry/browser.js';
import { startStandalone } from './sentry/standalone.js';

// @postern/browser (its built ESM, bundled for the page) in real headless Chromium, sending to a Postern
// relay that forwards to a recording upstream on loopback: the Express middleware and the standalone
// `postern serve`, each with the page on the relay's own origin and on another origin (allowedOrigins,
// CORS). The page throws, rejects, adds breadcrumbs, changes route and makes a fetch that fails, flushes,
// queues one more event and navigates away (the pagehide beacon). The next page starts a send that the
// relay is slow to answer, queues two more events and is closed: the beacon of that last page hide carries
// them and the batch still in flight, which the relay must not forward twice (R-DELIVER-7). Every event
// must reach the upstream exactly once and valid against the contract's ingestion schema. Last, the relay's answers stripped of
// Access-Control-Allow-Credentials: from another origin the browser then drops the beacons after their
// preflight, though sendBeacon said true, while fetches still arrive. That is what R-CORS-7 is for.

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLIENT_DIST = join(root, 'packages', 'browser', 'dist', 'index.js');
const SCHEMAS = join(root, 'conformance', 'schemas');
const RELAY_PATH = '/debugbundle/browser';
const SCRIPT_PATH = '/postern-browser.js';
const TOKEN = 'srv-token-BROWSER-E2E-7f3';
/** The relay's default `sdkName` (R-SANITIZE-2): what the upstream sees whatever the browser sent. */
const RELAYED_SDK_NAME = '@debugbundle/sdk-browser';

/** The client as the page sees it (`window.postern`). */
interface PageClient {
  captureException(error: unknown): string | undefined;
  addBreadcrumb(type: string, data?: Record<string, unknown>): string | undefined;
  flush(): Promise<void>;
  stats(): ClientStats;
}
interface ClientStats {
  queued: number;
  sent: number;
  beaconed: number;
  dropped: number;
  refused: number;
}

declare global {
  interface Window {
    postern: PageClient;
  }
}

interface UpstreamEvent {
  event_id: string;
  event_type: string;
  sdk_name: string;
  sdk_version: string;
  project_token: string;
  service: Record<string, unknown>;
  correlation: { session_id: string };
  payload: Record<string, any>;
}

/** One request that reached the relay, seen in front of it (Express only). */
interface RelayHit {
  method: string;
  /** The browser sent the relay origin's cookie: the request was credentialed (a beacon, or any same-origin request). */
  credentialed: boolean;
}

interface Target {
  pageOrigin: string;
  relayOrigin: string;
  /** Requests in front of the relay, where the target can see them. */
  hits?: RelayHit[];
  /** Server output for failure messages. */
  output?: () => string;
  close(): Promise<void>;
}

let bundle: string;
let browser: Browser;
let clientVersion: string;
let validateUpstreamBody: ValidateFunction;

beforeAll(async () => {
  try {
    await access(CLIENT_DIST);
  } catch {
    throw new Error(
      `${CLIENT_DIST} is missing: build the client first (npx turbo run build --filter=@postern/browser).`,
    );
  }
  clientVersion = (
    JSON.parse(await readFile(join(root, 'packages', 'browser', 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const built = await build({
    stdin: {
      contents: `export { init } from ${JSON.stringify(CLIENT_DIST)};`,
      resolveDir: root,
      sourcefile: 'postern-browser-entry.js',
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    globalName: 'Postern',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  });
  bundle = built.outputFiles[0]?.text ?? '';
  // What DebugBundle's ingestion accepts (R-SANITIZE-5). Strict Ajv; `strictRequired` is off only because
  // the body schema requires `sdk_name` of every event without declaring it there (each event schema does).
  const ajv = new Ajv2020({
    strict: true,
    allowUnionTypes: true,
    strictRequired: false,
    allErrors: true,
  });
  for (const file of await readdir(join(SCHEMAS, 'events')))
    ajv.addSchema(JSON.parse(await readFile(join(SCHEMAS, 'events', file), 'utf8')) as object);
  validateUpstreamBody = ajv.compile(
    JSON.parse(await readFile(join(SCHEMAS, 'upstream-events.schema.json'), 'utf8')) as object,
  );
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

// The app's pages, wherever they are served from.

function pageHtml(endpoint: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Postern browser client e2e</title>
<script src="${SCRIPT_PATH}"></script>
<script>
  window.postern = Postern.init({ endpoint: ${JSON.stringify(endpoint)}, service: 'checkout-web', environment: 'e2e' });
  // Registered after the client's own listener: what it did with its queue, for the next page to read.
  addEventListener('pagehide', () => sessionStorage.setItem('postern-stats', JSON.stringify(window.postern.stats())));
</script>
</head>
<body><h1>Shop</h1></body>
</html>
`;
}

/** Serves the pages, the client bundle and an API route that fails; false for any other path. */
function appRoutes(endpoint: string): (req: IncomingMessage, res: ServerResponse) => boolean {
  const html = pageHtml(endpoint);
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://app.invalid').pathname;
    if (path === '/shop/' || path === '/shop/next')
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else if (path === SCRIPT_PATH)
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(bundle);
    else if (path === '/api/fail')
      res
        .writeHead(500, { 'content-type': 'application/json' })
        .end('{"error":"the payment service is down"}');
    else return false;
    return true;
  };
}

/** A `node:http` app on its own origin with only the pages. */
function pageServer(endpoint: string): Promise<{ origin: string; close(): Promise<void> }> {
  const routes = appRoutes(endpoint);
  return listenOnLoopback(
    createServer((req, res) => {
      if (!routes(req, res)) res.writeHead(404).end();
    }),
  );
}

// The targets.

interface ExpressSetup {
  sameOrigin: boolean;
  /** Drop Access-Control-Allow-Credentials from every answer of the relay (the variant R-CORS-7 forbids). */
  withoutCredentials?: boolean;
}

/** The relay mounted as the README shows, with a tap in front that records what reaches it. */
function expressTarget({
  sameOrigin,
  withoutCredentials = false,
}: ExpressSetup): (sink: RecordingUpstream, cookie: string) => Promise<Target> {
  return async (sink, cookie) => {
    const hits: RelayHit[] = [];
    const app = express();
    const port = await freePort();
    const relayOrigin = `http://127.0.0.1:${port}`;
    const page = sameOrigin ? undefined : await pageServer(`${relayOrigin}${RELAY_PATH}`);
    const pageOrigin = page?.origin ?? relayOrigin;
    app.use(RELAY_PATH, (req, res, next) => {
      hits.push({
        method: req.method,
        credentialed: req.headers.cookie?.includes(cookie) ?? false,
      });
      if (withoutCredentials) {
        const writeHead = res.writeHead.bind(res) as (
          status: number,
          headers?: Record<string, string>,
        ) => ServerResponse;
        res.writeHead = ((status: number, headers?: Record<string, string>) => {
          if (headers) delete headers['access-control-allow-credentials'];
          res.removeHeader('access-control-allow-credentials');
          return writeHead(status, headers);
        }) as typeof res.writeHead;
      }
      next();
    });
    app.use(
      RELAY_PATH,
      posternRelay({
        projectToken: TOKEN,
        endpoint: `${sink.url}/v1/events`,
        ...(sameOrigin ? {} : { allowedOrigins: [pageOrigin] }),
      }),
    );
    if (sameOrigin) {
      const routes = appRoutes(RELAY_PATH);
      app.use((req, res, next) => {
        if (!routes(req, res)) next();
      });
    }
    const server = await new Promise<Server>((resolve) => {
      const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
    });
    return {
      pageOrigin,
      relayOrigin,
      hits,
      async close() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await page?.close();
      },
    };
  };
}

/**
 * `postern serve` as its own process, with durable delivery as `postern init` configures it (the Express
 * runs cover direct delivery). It serves no pages: same-origin, one
 * server on one origin serves the pages and passes the relay route through to it untouched, Host included
 * (the deployment where a proxy fronts both), so the relay's same-origin default decides. Cross-origin the
 * page comes from another origin, which `allowedOrigins` lists, and the browser talks to the relay directly.
 * No request interception anywhere: what arrives is what Chromium sent.
 */
function standaloneTarget(
  sameOrigin: boolean,
): (sink: RecordingUpstream, cookie: string) => Promise<Target> {
  return async (sink) => {
    const dir = await mkdtemp(join(tmpdir(), 'postern-browser-e2e-'));
    const port = await freePort();
    const frontPort = sameOrigin ? await freePort() : undefined;
    const relayOrigin = `http://127.0.0.1:${frontPort ?? port}`;
    const page = sameOrigin ? undefined : await pageServer(`${relayOrigin}${RELAY_PATH}`);
    const pageOrigin = page?.origin ?? relayOrigin;
    const server = await startStandalone(port, {
      projectToken: TOKEN,
      endpoint: `${sink.url}/v1/events`,
      durableWrite: true,
      spoolDir: join(dir, 'spool'),
      logLevel: 'info',
      ...(sameOrigin ? {} : { allowedOrigins: [pageOrigin] }),
    });
    let front: Server | undefined;
    if (frontPort !== undefined) {
      const routes = appRoutes(RELAY_PATH);
      front = createServer((req, res) => {
        if (routes(req, res)) return;
        const forwarded = request(
          { host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        forwarded.on('error', () => res.destroy());
        req.pipe(forwarded);
      });
      await new Promise<void>((resolve) => front?.listen(frontPort, '127.0.0.1', resolve));
    }
    return {
      pageOrigin,
      relayOrigin,
      output: server.output,
      async close() {
        if (front) {
          front.closeAllConnections();
          await new Promise<void>((resolve) => front?.close(() => resolve()));
        }
        await server.stop();
        await page?.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  };
}

// What the page does, and what must come of it.

interface Expected {
  what: string;
  /** Only a beacon (or its keepalive fallback) can carry it: it was queued as the page went away. */
  lastMoment: boolean;
  matches(event: UpstreamEvent): boolean;
}

function expectedEvents(run: string): Expected[] {
  const crumb =
    (type: string, where: (data: Record<string, any>) => boolean) => (event: UpstreamEvent) =>
      event.event_type === 'frontend_breadcrumb' &&
      event.payload.breadcrumb_type === type &&
      where(event.payload.data ?? {});
  return [
    {
      what: 'the click breadcrumb',
      lastMoment: false,
      matches: crumb('click', (data) => data.run === run),
    },
    {
      what: 'the uncaught error',
      lastMoment: false,
      matches: (event) =>
        event.event_type === 'frontend_exception' &&
        event.payload.message === `postern e2e: checkout exploded ${run}` &&
        event.payload.browser_event?.kind === 'window_error',
    },
    {
      what: 'the unhandled rejection',
      lastMoment: false,
      matches: (event) =>
        event.event_type === 'frontend_exception' &&
        event.payload.message === `postern e2e: refund rejected ${run}` &&
        event.payload.rejection_reason?.kind === 'error',
    },
    {
      what: 'the form_submit breadcrumb',
      lastMoment: false,
      matches: crumb('form_submit', (data) => data.run === run),
    },
    {
      what: 'the route change',
      lastMoment: false,
      matches: crumb('route_change', (data) => data.from === '/shop/' && data.to === '/shop/pay'),
    },
    {
      what: 'the failed fetch',
      lastMoment: false,
      matches: (event) =>
        event.event_type === 'request_event' &&
        event.payload.path === '/api/fail' &&
        event.payload.response_status === 500 &&
        event.payload.query?.order === '42',
    },
    {
      what: 'the breadcrumb queued before navigating away',
      lastMoment: true,
      matches: crumb('console_log', (data) => data.last === 'page 1' && data.run === run),
    },
    // Its fetch reached the relay before the close; the beacon carries it again.
    {
      what: 'the breadcrumb in flight as the page closed',
      lastMoment: false,
      matches: crumb('console_log', (data) => data.last === 'in flight' && data.run === run),
    },
    {
      what: 'the exception queued right before close',
      lastMoment: true,
      matches: (event) =>
        event.event_type === 'frontend_exception' &&
        event.payload.message === `postern e2e: queued right before close ${run}`,
    },
    {
      what: 'the breadcrumb queued right before close',
      lastMoment: true,
      matches: crumb('console_log', (data) => data.last === 'page 2' && data.run === run),
    },
  ];
}

const eventsOf = (sink: RecordingUpstream): UpstreamEvent[] =>
  sink.received.flatMap(
    (request) => (JSON.parse(request.body) as { events: UpstreamEvent[] }).events,
  );

interface Outcome {
  /** The first page's client, as it stood when the page was hidden. */
  firstPage: ClientStats;
  flushed: ClientStats;
  failedFetchStatus: number;
  pageErrors: string[];
  console: string[];
}

/** Drives one page visit through both pages and the close; the upstream is read by the caller. */
async function visit(
  target: Target,
  sink: RecordingUpstream,
  cookie: string,
  run: string,
): Promise<Outcome> {
  const context = await browser.newContext();
  try {
    // A cookie of the relay's origin: it goes with every beacon (credentialed) and with same-origin fetches,
    // never with the client's cross-origin fetches; and never further than the relay (R-CRED-1).
    await context.addCookies([{ name: 'relay_session', value: cookie, url: target.relayOrigin }]);
    const page = await context.newPage();
    const pageErrors: string[] = [];
    const consoleLines: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message: ConsoleMessage) =>
      consoleLines.push(`${message.type()}: ${message.text()}`),
    );
    await page.goto(`${target.pageOrigin}/shop/`);
    const first = await page.evaluate(async (tag) => {
      const postern = window.postern;
      postern.addBreadcrumb('click', { target: 'checkout', run: tag });
      postern.addBreadcrumb('form_submit', { form: 'address', run: tag });
      history.pushState({}, '', '/shop/pay');
      const answer = await fetch('/api/fail?order=42', { method: 'POST' });
      setTimeout(() => {
        throw new Error(`postern e2e: checkout exploded ${tag}`);
      });
      void Promise.reject(new Error(`postern e2e: refund rejected ${tag}`));
      await new Promise((resolve) => setTimeout(resolve, 100)); // the error and the rejection reach their listeners
      await postern.flush();
      const flushed = postern.stats();
      postern.addBreadcrumb('console_log', { last: 'page 1', run: tag });
      return { failedFetchStatus: answer.status, flushed };
    }, run);
    await page.goto(`${target.pageOrigin}/shop/next`);
    // From here the upstream takes 800 ms to answer, and a relay that delivers directly waits for it: the
    // page's next send is still unanswered when the page goes. (A durable relay answers once it has stored
    // the batch, so there the send has usually been answered by then.)
    sink.setReply({ status: 202, delayMs: 800 });
    const postsBefore = target.hits?.filter((hit) => hit.method === 'POST').length ?? 0;
    await page.evaluate((tag) => {
      window.postern.addBreadcrumb('console_log', { last: 'in flight', run: tag });
      void window.postern.flush();
    }, run);
    // The POST has reached the relay (seen in front of it where the target can; a moment elsewhere).
    if (target.hits)
      await waitUntil(
        'the in-flight POST at the relay',
        () => (target.hits ?? []).filter((hit) => hit.method === 'POST').length > postsBefore,
        5000,
      );
    else await sleep(200);
    const firstPage = await page.evaluate((tag) => {
      window.postern.captureException(new Error(`postern e2e: queued right before close ${tag}`));
      window.postern.addBreadcrumb('console_log', { last: 'page 2', run: tag });
      return JSON.parse(sessionStorage.getItem('postern-stats') ?? 'null') as ClientStats;
    }, run);
    await page.close();
    return { firstPage, ...first, pageErrors, console: consoleLines };
  } finally {
    // The beacons of the close are on their way from the browser process; give them the time they need.
    await sleep(1500);
    await context.close();
  }
}

function diagnose(
  target: Target | undefined,
  sink: RecordingUpstream | undefined,
  outcome?: Outcome,
): string {
  return (
    `upstream: ${JSON.stringify((sink ? eventsOf(sink) : []).map((event) => ({ id: event.event_id, type: event.event_type, message: event.payload.message, data: event.payload.data })))}\n` +
    `relay hits: ${JSON.stringify(target?.hits ?? 'not seen')}\nclient: ${JSON.stringify(outcome && { firstPage: outcome.firstPage, flushed: outcome.flushed })}\n` +
    `page console: ${JSON.stringify(outcome?.console ?? [])}\n${target?.output?.() ?? ''}`
  );
}

/** Every event arrived exactly once, valid for ingestion, from this client, without a browser credential. */
function checkUpstream(
  sink: RecordingUpstream,
  cookie: string,
  wanted: Expected[],
  why: () => string,
): UpstreamEvent[] {
  const events = eventsOf(sink);
  const counts = new Map<string, number>();
  for (const event of events) counts.set(event.event_id, (counts.get(event.event_id) ?? 0) + 1);
  expect(
    [...counts].filter(([, count]) => count > 1),
    `event_ids forwarded more than once\n${why()}`,
  ).toEqual([]);
  for (const request of sink.received) {
    expect(
      validateUpstreamBody(JSON.parse(request.body)),
      `an upstream body is not what ingestion accepts: ${JSON.stringify(validateUpstreamBody.errors)}\n${why()}`,
    ).toBe(true);
    expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request.headers.cookie, 'a browser cookie reached the upstream').toBeUndefined();
    expect(request.rawHeaders.join('\n')).not.toContain(cookie);
  }
  const unmatched = events.filter(
    (event) => !wanted.some((expectation) => expectation.matches(event)),
  );
  expect(
    unmatched.map((event) => `${event.event_type} ${JSON.stringify(event.payload).slice(0, 200)}`),
    `events nobody expected\n${why()}`,
  ).toEqual([]);
  for (const expectation of wanted)
    expect(
      events.filter((event) => expectation.matches(event)).length,
      `${expectation.what}\n${why()}`,
    ).toBe(1);
  for (const event of events) {
    expect(event).toMatchObject({
      sdk_name: RELAYED_SDK_NAME,
      sdk_version: clientVersion,
      project_token: TOKEN,
      service: { name: 'checkout-web', environment: 'e2e', runtime: 'browser' },
    });
  }
  return events;
}

const targets: Array<[string, (sink: RecordingUpstream, cookie: string) => Promise<Target>]> = [
  ['the Express middleware, page on the same origin', expressTarget({ sameOrigin: true })],
  [
    'the Express middleware, page on another origin (allowedOrigins)',
    expressTarget({ sameOrigin: false }),
  ],
  ['postern serve, page on the same origin', standaloneTarget(true)],
  ['postern serve, page on another origin (allowedOrigins)', standaloneTarget(false)],
];

describe.each(targets)('@postern/browser through %s', (name, start) => {
  let sink: RecordingUpstream;
  let target: Target | undefined;
  const cookie = `BROWSER-COOKIE-${randomUUID()}`;

  beforeAll(async () => {
    sink = await startUpstream();
    target = await start(sink, cookie);
  });

  afterAll(async () => {
    await target?.close();
    await sink?.close();
  });

  it('delivers every event upstream exactly once, valid for ingestion, the last ones by the page-hide beacons', async () => {
    const active = target as Target;
    const run = randomUUID().slice(0, 8);
    const wanted = expectedEvents(run);
    const outcome = await visit(active, sink, cookie, run);
    const why = (): string => diagnose(active, sink, outcome);
    await waitUntil(
      `every event at the upstream\n${why()}`,
      () => wanted.every((expectation) => eventsOf(sink).some(expectation.matches)),
      10_000,
    );
    await sleep(1000); // a second copy of the batch that was in flight would be on its way by now
    const events = checkUpstream(sink, cookie, wanted, why);

    // The page: the fetch failed as planned, the error and the rejection really were uncaught, and the client
    // had sent everything by fetch before the last breadcrumb, which it handed to a beacon as the page went.
    expect(outcome.failedFetchStatus).toBe(500);
    expect(outcome.pageErrors.sort()).toEqual([
      `postern e2e: checkout exploded ${run}`,
      `postern e2e: refund rejected ${run}`,
    ]);
    expect(outcome.flushed, why()).toEqual({
      queued: 0,
      sent: 6,
      beaconed: 0,
      dropped: 0,
      refused: 0,
    });
    expect(outcome.firstPage, why()).toEqual({
      queued: 0,
      sent: 6,
      beaconed: 1,
      dropped: 0,
      refused: 0,
    });
    // Two pages, two sessions; the correlation the browser sent is forwarded unchanged.
    expect(new Set(events.map((event) => event.correlation.session_id)).size).toBe(2);
    const exception = events.find(
      (event) => event.payload.message === `postern e2e: checkout exploded ${run}`,
    );
    expect(exception?.payload).toMatchObject({
      name: 'Error',
      route: '/shop/pay',
      browser: { name: 'Chrome' },
    });
    expect(exception?.payload.stack).toContain(`postern e2e: checkout exploded ${run}`);
    expect(
      exception?.payload.breadcrumbs.map(
        (crumb: { breadcrumb_type: string }) => crumb.breadcrumb_type,
      ),
    ).toEqual(['click', 'form_submit', 'route_change', 'network_request']);

    // In front of the Express relay: beacons are credentialed, the client's fetches only on the same origin.
    const hits = active.hits;
    if (hits !== undefined) {
      const posts = hits.filter((hit) => hit.method === 'POST');
      if (active.pageOrigin === active.relayOrigin)
        expect(
          posts.every((hit) => hit.credentialed),
          why(),
        ).toBe(true);
      else {
        expect(
          posts.filter((hit) => hit.credentialed).length,
          `the beacons (credentialed POSTs)\n${why()}`,
        ).toBeGreaterThanOrEqual(2);
        expect(
          posts.filter((hit) => !hit.credentialed).length,
          `the client's fetch (no credentials)\n${why()}`,
        ).toBeGreaterThanOrEqual(1);
        expect(
          hits.some((hit) => hit.method === 'OPTIONS'),
          'preflights',
        ).toBe(true);
      }
    }
    const logged = (active.output?.() ?? '')
      .split('\n')
      .filter((line) => line.includes('"relay request"'));
    const duplicates = logged.reduce(
      (sum, line) => sum + Number(/"duplicates":(\d+)/.exec(line)?.[1] ?? 0),
      0,
    );
    console.log(
      `${name}: ${events.length} events upstream in ${sink.received.length} requests, each once; ` +
        (hits
          ? `relay saw ${hits.map((hit) => `${hit.method}${hit.credentialed ? '+cookie' : ''}`).join(' ')}`
          : `relay logged ${logged.map((line) => /"method":"(\w+)"/.exec(line)?.[1]).join(' ')}, ${duplicates} event(s) received again and not forwarded`),
    );
  });
});

describe('@postern/browser and a relay that does not allow credentials (what R-CORS-7 prevents)', () => {
  let sink: RecordingUpstream;
  let target: Target | undefined;
  const cookie = `BROWSER-COOKIE-${randomUUID()}`;

  beforeAll(async () => {
    sink = await startUpstream();
    target = await expressTarget({ sameOrigin: false, withoutCredentials: true })(sink, cookie);
  });

  afterAll(async () => {
    await target?.close();
    await sink?.close();
  });

  it('from another origin, the beacons are lost after their preflight although sendBeacon said true; fetches still arrive', async () => {
    const active = target as Target;
    const run = randomUUID().slice(0, 8);
    const wanted = expectedEvents(run);
    const outcome = await visit(active, sink, cookie, run); // waits 1.5 s after the close, as for the runs that deliver
    const why = (): string => diagnose(active, sink, outcome);
    const delivered = wanted.filter((expectation) => !expectation.lastMoment);
    await waitUntil(
      `the events sent by fetch at the upstream\n${why()}`,
      () => delivered.every((expectation) => eventsOf(sink).some(expectation.matches)),
      10_000,
    );
    await sleep(300);
    checkUpstream(sink, cookie, delivered, why);
    const lost = wanted.filter((expectation) => expectation.lastMoment);
    for (const expectation of lost)
      expect(
        eventsOf(sink).some(expectation.matches),
        `${expectation.what} arrived without credentials allowed\n${why()}`,
      ).toBe(false);

    // The client believed the beacon had gone: sendBeacon returned true, so no fallback was tried.
    expect(outcome.firstPage, why()).toEqual({
      queued: 0,
      sent: 6,
      beaconed: 1,
      dropped: 0,
      refused: 0,
    });
    // The relay saw the preflights, and never a credentialed POST: the browser stopped at the preflight.
    const hits = active.hits ?? [];
    expect(
      hits.filter((hit) => hit.method === 'POST' && hit.credentialed),
      why(),
    ).toEqual([]);
    expect(hits.some((hit) => hit.method === 'OPTIONS')).toBe(true);
    console.log(
      `without Access-Control-Allow-Credentials: ${eventsOf(sink).length} of ${wanted.length} events arrived (the ${lost.length} queued as the pages went were lost); ` +
        `relay saw ${hits.map((hit) => `${hit.method}${hit.credentialed ? '+cookie' : ''}`).join(' ')}`,
    );
  });
});
