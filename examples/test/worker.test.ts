import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTunnelPath } from '@sentry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker, startWorkerd, type RunningWorker } from '../workerd.mjs';
import { snippetAfterMarker } from './snippets.js';

// The Cloudflare Worker example (examples/worker), bundled as Wrangler bundles it and run inside workerd,
// Cloudflare's runtime from npm, with the vars and secret its wrangler.toml names. Locally nothing sets
// CF-Connecting-IP, so the test sends it as Cloudflare's edge would.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WORKER = 'examples/worker/src/worker.js';
const ORIGIN = 'https://app.example';

describe('the Cloudflare Worker example', () => {
  let upstream: Server;
  const received: { url: string; authorization: string | undefined; body: Buffer }[] = [];
  let worker: RunningWorker;
  let dsn: string;

  beforeAll(async () => {
    upstream = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ url: req.url ?? '', authorization: req.headers.authorization, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"0123456789abcdef0123456789abcdef"}');
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const host = `127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    dsn = `http://public@${host}/42`;
    const code = await bundleWorker(join(root, WORKER));
    worker = await startWorkerd(code, { ALLOWED_ORIGINS: ORIGIN, SENTRY_DSN: dsn, DEBUGBUNDLE_PROJECT_TOKEN: 'srv-token', DEBUGBUNDLE_ENDPOINT: `http://${host}/v1/events` });
  }, 30_000);

  afterAll(async () => {
    await worker?.stop();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
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
    expect(received.map((request) => [request.url, request.authorization])).toEqual([['/v1/events', 'Bearer srv-token']]);
  });

  it('tunnels an envelope sent by Sentry.init({ dsn, tunnel: true }) to its DSN, and 404s other paths', async () => {
    const envelope = `{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"${dsn}"}\n{"type":"event","length":2}\n{}\n`;
    const path = getTunnelPath(dsn) as string;
    const before = received.length;
    const answer = await fetch(`${worker.base}${path}`, { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'application/x-sentry-envelope', 'cf-connecting-ip': '203.0.113.9' }, body: envelope });
    expect(answer.status, worker.stderr()).toBe(200);
    const forwarded = received.slice(before);
    expect(forwarded.map((request) => request.url)).toEqual(['/api/42/envelope/?sentry_version=7&sentry_key=public']);
    expect(forwarded[0]?.body.toString()).toBe(envelope);
    expect((await fetch(`${worker.base}/elsewhere`, { method: 'POST', body: envelope })).status).toBe(404);
    expect(received).toHaveLength(before + 1);
  });
});
