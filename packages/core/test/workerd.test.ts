import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type RecordingUpstream, startUpstream } from '@postern/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker, startWorkerd, type RunningWorker } from '../../../examples/workerd.mjs';

// The built main entry as Web runtimes resolve it (dist/web.js, by the workerd, worker, edge-light and browser
// conditions), bundled as a Worker is (esbuild, minified, no Node built-ins), must hold no code
// generation from strings, which Cloudflare Workers and Vercel Edge refuse; and must relay a real batch
// inside workerd, Cloudflare's runtime from npm, to a recording upstream on loopback.
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const ORIGIN = 'https://app.example';

// The engines behind createWebHandler, the Web handler every runtime's fetch-style server can call.
const WORKER = `
import { createBrowserRelay, createTunnel, createWebHandler } from '@postern/core';
const clientAddress = () => '203.0.113.5';
let relay;
let tunnel;
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/durable') {
      try {
        createBrowserRelay({ projectToken: 'srv-token', durableWrite: true });
        return new Response('constructed', { status: 200 });
      } catch (error) {
        return new Response(error.constructor.name + ': ' + error.message, { status: 500 });
      }
    }
    relay ??= createWebHandler(createBrowserRelay({ projectToken: 'srv-token', endpoint: env.UPSTREAM + '/v1/events', allowedOrigins: ['${ORIGIN}'] }), { clientAddress });
    tunnel ??= createWebHandler(createTunnel({ dsns: [env.UPSTREAM.replace('//', '//public@') + '/42'], allowedOrigins: ['${ORIGIN}'] }), { clientAddress });
    return (url.pathname === '/postern/tunnel' ? tunnel : relay)(request);
  },
};
`;

/** A batch DebugBundle's browser SDK sends, from the contract's fixtures, with event ids new to this run. */
async function batch(): Promise<string> {
  const fixture = JSON.parse(
    await readFile(join(root, 'conformance', 'fixtures', 'browser', '02-route.json'), 'utf8'),
  );
  const run = randomBytes(4).toString('hex');
  return JSON.stringify(fixture.cases[0].steps[0].request.json).replaceAll('{{run}}', run);
}

describe('the main entry in a Worker bundle', () => {
  let dir: string;
  let code: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'postern-worker-entry-'));
    await writeFile(join(dir, 'entry.mjs'), WORKER);
    code = await bundleWorker(join(dir, 'entry.mjs'), {
      '@postern/core': join(here, '..', 'dist', 'web.js'),
    });
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('holds no eval, no Function constructor and no dynamic import (Miniflare refuses one)', () => {
    expect(code.length).toBeGreaterThan(10_000);
    expect(code.match(/\bnew Function\b|[^.\w$]Function\(|\beval\(|\bimport\(/g) ?? []).toEqual([]);
    console.log(
      `Worker bundle: ${code.length} bytes minified, ${gzipSync(code, { level: 9 }).length} bytes gzip`,
    );
  });

  describe('under workerd', () => {
    let upstream: RecordingUpstream;
    let worker: RunningWorker;
    let base: string;
    const stderr = (): string => worker.stderr();

    beforeAll(async () => {
      upstream = await startUpstream({ reply: { status: 202, body: '{"accepted":1}' } });
      worker = await startWorkerd(code, { UPSTREAM: upstream.url });
      base = worker.base;
    }, 30_000);

    afterAll(async () => {
      await worker?.stop();
      await upstream?.close();
    });

    it('relays a batch of DebugBundle events upstream with the server-side token', async () => {
      const body = await batch();
      const answer = await fetch(`${base}/debugbundle/browser`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json' },
        body,
      });
      expect(answer.status, stderr()).toBe(202);
      expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      const { received } = upstream;
      expect(received, stderr()).toHaveLength(1);
      expect(received[0]?.path).toBe('/v1/events');
      expect(received[0]?.headers.authorization).toBe('Bearer srv-token');
      const sent = JSON.parse(body).batch as { event_id: string }[];
      const forwarded = JSON.parse(received[0]?.body ?? '{}').events as { event_id: string }[];
      expect(forwarded.map((event) => event.event_id)).toEqual(sent.map((event) => event.event_id));
    });

    it("tunnels a gzip-encoded Sentry envelope, decoded with the runtime's DecompressionStream", async () => {
      const dsn = upstream.dsn('42');
      const text = `{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"${dsn}"}\n{"type":"event","length":2}\n{}\n`;
      const before = upstream.received.length;
      const answer = await fetch(`${base}/postern/tunnel`, {
        method: 'POST',
        headers: {
          origin: ORIGIN,
          'content-type': 'text/plain;charset=UTF-8',
          'content-encoding': 'gzip',
        },
        body: gzipSync(text),
      });
      expect(answer.status, stderr()).toBe(202);
      expect(
        upstream.received.slice(before).map((request) => [request.path, request.body]),
      ).toEqual([['/api/42/envelope/?sentry_version=7&sentry_key=public', text]]);
    });

    it('refuses durable delivery at construction, where there is no filesystem, naming the option', async () => {
      const answer = await fetch(`${base}/durable`);
      expect(await answer.text(), stderr()).toMatch(
        /^TypeError: durableWrite: true writes files and needs a Node runtime/,
      );
    });

    it('refuses an event its schema refuses, with the validator compiled at build time', async () => {
      const event = JSON.parse(await batch()).batch[0];
      event.occurred_at = 'yesterday';
      const answer = await fetch(`${base}/debugbundle/browser`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json' },
        body: JSON.stringify({ batch: [event] }),
      });
      expect(answer.status, stderr()).toBe(400);
      expect(await answer.json()).toMatchObject({
        errors: [{ index: 0, reason: 'event_invalid' }],
      });
      expect(upstream.received.filter((request) => request.path === '/v1/events')).toHaveLength(1);
    });
  });
});
