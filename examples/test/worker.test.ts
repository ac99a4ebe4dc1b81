import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RecordingUpstream, startUpstream } from '@postern/conformance';
import { getTunnelPath } from '@sentry/core';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker, startWorkerd, type RunningWorker } from '../workerd.mjs';
import { SENTRY_REPLY } from './sentry/envelope.js';
import { snippetAfterMarker } from './snippets.js';

// The Cloudflare Worker examples (core's Web handler in examples/worker, Hono in examples/hono-worker),
// bundled as Wrangler bundles them and run inside workerd, Cloudflare's runtime from npm, with the vars and
// secret their wrangler.toml names. Locally nothing sets CF-Connecting-IP, so the test sends it as
// Cloudflare's edge would.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ORIGIN = 'https://app.example';
const WORKERS = [
  { WORKER: 'examples/worker/src/worker.js', README: 'packages/core/README.md' },
  { WORKER: 'examples/hono-worker/src/worker.js', README: 'packages/hono/README.md' },
];

describe.each(WORKERS)('the Cloudflare Worker example $WORKER', ({ WORKER, README }) => {
  let upstream: RecordingUpstream;
  let worker: RunningWorker;
  let dsn: string;
  let code: string;
  let bindings: Record<string, string>;

  beforeAll(async () => {
    upstream = await startUpstream({ reply: SENTRY_REPLY });
    dsn = upstream.dsn('42');
    code = await bundleWorker(join(root, WORKER));
    bindings = {
      ALLOWED_ORIGINS: ORIGIN,
      SENTRY_DSN: dsn,
      DEBUGBUNDLE_PROJECT_TOKEN: 'srv-token',
      DEBUGBUNDLE_ENDPOINT: `${upstream.url}/v1/events`,
    };
    worker = await startWorkerd(code, bindings);
  }, 30_000);

  afterAll(async () => {
    await worker?.stop();
    await upstream?.close();
  });

  it(`is what ${README} shows`, async () => {
    const readme = await readFile(join(root, README), 'utf8');
    expect(snippetAfterMarker(readme, WORKER)).toBe(await readFile(join(root, WORKER), 'utf8'));
  });

  it('relays a DebugBundle batch with the secret token', async () => {
    const fixture = JSON.parse(
      await readFile(join(root, 'conformance', 'fixtures', 'browser', '02-route.json'), 'utf8'),
    );
    const body = JSON.stringify(fixture.cases[0].steps[0].request.json).replaceAll(
      '{{run}}',
      randomBytes(4).toString('hex'),
    );
    const answer = await fetch(`${worker.base}/debugbundle/browser`, {
      method: 'POST',
      headers: {
        origin: ORIGIN,
        'content-type': 'application/json',
        'cf-connecting-ip': '203.0.113.9',
      },
      body,
    });
    expect(answer.status, worker.stderr()).toBe(202);
    expect(
      upstream.received.map((request) => [request.path, request.headers.authorization]),
    ).toEqual([['/v1/events', 'Bearer srv-token']]);
  });

  it('tunnels an envelope sent by Sentry.init({ dsn, tunnel: true }) to its DSN, and 404s other paths', async () => {
    const envelope = `{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"${dsn}"}\n{"type":"event","length":2}\n{}\n`;
    const path = getTunnelPath(dsn) as string;
    const before = upstream.received.length;
    const answer = await fetch(`${worker.base}${path}`, {
      method: 'POST',
      headers: {
        origin: ORIGIN,
        'content-type': 'application/x-sentry-envelope',
        'cf-connecting-ip': '203.0.113.9',
      },
      body: envelope,
    });
    expect(answer.status, worker.stderr()).toBe(200);
    const forwarded = upstream.received.slice(before);
    expect(forwarded.map((request) => request.path)).toEqual([
      '/api/42/envelope/?sentry_version=7&sentry_key=public',
    ]);
    expect(forwarded[0]?.body).toBe(envelope);
    expect(
      (await fetch(`${worker.base}/elsewhere`, { method: 'POST', body: envelope })).status,
    ).toBe(404);
    expect(upstream.received).toHaveLength(before + 1);
  });

  // Miniflare is what `wrangler dev` runs the Worker in; it refuses a bundle holding an import() it cannot resolve.
  it('runs under Miniflare as wrangler dev runs it', async () => {
    const miniflare = new Miniflare({ modules: true, script: code, bindings });
    try {
      const before = upstream.received.length;
      const fixture = JSON.parse(
        await readFile(join(root, 'conformance', 'fixtures', 'browser', '02-route.json'), 'utf8'),
      );
      const body = JSON.stringify(fixture.cases[0].steps[0].request.json).replaceAll(
        '{{run}}',
        randomBytes(4).toString('hex'),
      );
      const answer = await miniflare.dispatchFetch('http://localhost/debugbundle/browser', {
        method: 'POST',
        headers: {
          origin: ORIGIN,
          'content-type': 'application/json',
          'cf-connecting-ip': '203.0.113.9',
        },
        body,
      });
      expect(answer.status).toBe(202);
      expect(upstream.received.slice(before).map((request) => request.path)).toEqual([
        '/v1/events',
      ]);
    } finally {
      await miniflare.dispose();
    }
  }, 30_000);
});
