import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTunnelPath } from '@sentry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker, startWorkerd, type RunningWorker } from '../workerd.mjs';
import { startSink, type Sink } from './sentry/sink.js';
import { snippetAfterMarker } from './snippets.js';

// The Cloudflare Worker example (examples/worker), bundled as Wrangler bundles it and run inside workerd,
// Cloudflare's runtime from npm, with the vars and secret its wrangler.toml names. Locally nothing sets
// CF-Connecting-IP, so the test sends it as Cloudflare's edge would.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORKER = 'examples/worker/src/worker.js';
const ORIGIN = 'https://app.example';

describe('the Cloudflare Worker example', () => {
  let upstream: Sink;
  let worker: RunningWorker;
  let dsn: string;

  beforeAll(async () => {
    upstream = await startSink();
    const host = `127.0.0.1:${upstream.port}`;
    dsn = `http://public@${host}/42`;
    const code = await bundleWorker(join(root, WORKER));
    worker = await startWorkerd(code, { ALLOWED_ORIGINS: ORIGIN, SENTRY_DSN: dsn, DEBUGBUNDLE_PROJECT_TOKEN: 'srv-token', DEBUGBUNDLE_ENDPOINT: `http://${host}/v1/events` });
  }, 30_000);

  afterAll(async () => {
    await worker?.stop();
    await upstream?.close();
  });

  it('is what the @postern/core README shows', async () => {
    const readme = await readFile(join(root, 'packages', 'core', 'README.md'), 'utf8');
    expect(snippetAfterMarker(readme, WORKER)).toBe(await readFile(join(root, WORKER), 'utf8'));
  });

  it('relays a DebugBundle batch with the secret token', async () => {
    const fixture = JSON.parse(await readFile(join(root, 'conformance', 'fixtures', 'browser', '02-route.json'), 'utf8'));
    const body = JSON.stringify(fixture.cases[0].steps[0].request.json).replaceAll('{{run}}', randomBytes(4).toString('hex'));
    const answer = await fetch(`${worker.base}/debugbundle/browser`, { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.9' }, body });
    expect(answer.status, worker.stderr()).toBe(202);
    expect(upstream.requests.map((request) => [request.url, request.headers.authorization])).toEqual([['/v1/events', 'Bearer srv-token']]);
  });

  it('tunnels an envelope sent by Sentry.init({ dsn, tunnel: true }) to its DSN, and 404s other paths', async () => {
    const envelope = `{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"${dsn}"}\n{"type":"event","length":2}\n{}\n`;
    const path = getTunnelPath(dsn) as string;
    const before = upstream.requests.length;
    const answer = await fetch(`${worker.base}${path}`, { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'application/x-sentry-envelope', 'cf-connecting-ip': '203.0.113.9' }, body: envelope });
    expect(answer.status, worker.stderr()).toBe(200);
    const forwarded = upstream.requests.slice(before);
    expect(forwarded.map((request) => request.url)).toEqual(['/api/42/envelope/?sentry_version=7&sentry_key=public']);
    expect(forwarded[0]?.body.toString()).toBe(envelope);
    expect((await fetch(`${worker.base}/elsewhere`, { method: 'POST', body: envelope })).status).toBe(404);
    expect(upstream.requests).toHaveLength(before + 1);
  });
});
