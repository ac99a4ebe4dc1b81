import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  type ReceivedRequest,
  type RecordingUpstream,
  sampleEvent,
  startUpstream,
  waitForPort,
} from '@postern/conformance';

export { freePort, waitForPort };

export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'postern.mjs');
export const ORIGIN = 'https://app.example';
export const TOKEN = 'srv-token-CRASH-SECRET-4c1';

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A real loopback upstream on a fixed port that can go down (stop listening: connections are refused)
 * and come back: `startUpstream` from @postern/conformance on that port while it is up. It lists every
 * event_id of the batches it received (answered 202), duplicates included.
 */
export interface LoopbackUpstream {
  readonly url: string;
  readonly received: string[];
  /** Requests that carried a token other than the configured one, or a browser credential. */
  readonly leaks: string[];
  /** The most requests carrying the same batch (by its first event_id) that were ever in progress at once. */
  readonly maxOverlap: number;
  up(): Promise<void>;
  down(): Promise<void>;
}

/** The event ids of a batch the relay forwarded; none for anything else (a HEAD probe). */
function idsOf(request: ReceivedRequest): string[] {
  try {
    const { events } = JSON.parse(request.body) as { events?: Array<{ event_id: string }> };
    return Array.isArray(events) ? events.map((event) => event.event_id) : [];
  } catch {
    return [];
  }
}

/** `delayMs`: how long each answer takes, so overlapping deliveries of one batch would be seen. */
export async function loopbackUpstream(port: number, delayMs = 0): Promise<LoopbackUpstream> {
  /** Every run of the upstream so far (one per `up()`), the current one last. */
  const runs: RecordingUpstream[] = [];
  let current: RecordingUpstream | undefined;
  /** What each request carried, read once: the requests of every run in order, and their batches' ids. */
  const seen: Array<{ request: ReceivedRequest; ids: string[] }> = [];
  const counted = new Map<RecordingUpstream, number>();
  const requests = (): typeof seen => {
    for (const run of runs)
      for (let at = counted.get(run) ?? 0; at < run.received.length; at++) {
        const request = run.received[at] as ReceivedRequest;
        seen.push({ request, ids: idsOf(request) });
        counted.set(run, at + 1);
      }
    return seen;
  };

  return {
    url: `http://127.0.0.1:${port}/v1/events`,
    get received() {
      return requests().flatMap(({ ids }) => ids);
    },
    get leaks() {
      return requests()
        .map(({ request }) => request)
        .filter(
          ({ headers }) =>
            headers.authorization !== `Bearer ${TOKEN}` || headers.cookie !== undefined,
        )
        .map(({ headers }) => JSON.stringify(headers));
    },
    // Each request is answered `delayMs` after it arrived, so two copies of a batch that arrived less
    // than `delayMs` apart were in progress at once.
    get maxOverlap() {
      const arrivals = new Map<string, number[]>();
      let most = 0;
      for (const { request, ids } of requests()) {
        const key = ids[0];
        if (key === undefined) continue;
        const open = (arrivals.get(key) ?? []).filter((at) => request.receivedAt - at < delayMs);
        open.push(request.receivedAt);
        arrivals.set(key, open);
        most = Math.max(most, open.length);
      }
      return most;
    },
    async up() {
      if (current) throw new Error(`the upstream on port ${port} is already up`);
      current = await startUpstream({ port, reply: { status: 202, delayMs, body: '{}' } });
      runs.push(current);
    },
    async down() {
      if (!current) return;
      const upstream = current;
      current = undefined;
      await upstream.close();
    },
  };
}

/**
 * `postern serve` as its own process, configured through an environment variable, output kept for failures.
 * `adminPort`: where its admin listener (/healthz, /readyz, /metrics) listens; without it there is none.
 * `nodeArgs`: flags for node itself, before the bin.
 */
export function startServer(
  port: number,
  config: Record<string, unknown>,
  options: { adminPort?: number; nodeArgs?: string[] } = {},
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let output = '';
  const admin = options.adminPort === undefined ? [] : ['--admin-port', String(options.adminPort)];
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      BIN,
      'serve',
      '--config-env',
      'POSTERN_TEST_CONFIG',
      '--port',
      String(port),
      ...admin,
    ],
    {
      env: { ...process.env, POSTERN_TEST_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, output: () => output, exited };
}

let sequence = 0;

/** Posts one batch of `size` fresh events; resolves with their ids and the status, or undefined when the connection failed. */
export async function sendBatch(
  url: string,
  size: number,
  prefix: string,
): Promise<{ ids: string[]; status: number } | undefined> {
  const ids = Array.from({ length: size }, () => randomUUID());
  const batch = ids.map((id) =>
    sampleEvent('frontend_breadcrumb', {
      event_id: id,
      payload: {
        breadcrumb_type: 'click',
        route: '/test',
        data: { batch: `${prefix}-${++sequence}` },
      },
    }),
  );
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        origin: ORIGIN,
        'content-type': 'application/json',
        cookie: 'session=BROWSER-COOKIE',
      },
      body: JSON.stringify({ batch }),
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    return { ids, status: response.status };
  } catch {
    return undefined; // the server died mid-request: nothing was promised
  }
}

export function relayConfig(upstreamUrl: string, spoolDir: string): Record<string, unknown> {
  return {
    projectToken: TOKEN,
    endpoint: upstreamUrl,
    allowedOrigins: [ORIGIN],
    rateLimit: { limit: 1_000_000, windowMs: 60_000 },
    durableWrite: true,
    spoolDir,
    retryBaseMs: 50,
    retryMaxMs: 500,
    upstreamTimeoutMs: 2000,
    logLevel: 'warn',
  };
}
