import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { type RecordingUpstream, startUpstream } from '@postern/conformance';
import { getTunnelPath } from '@sentry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVercelEdge, type RunningEdgeFunction } from '../edge-runtime.mjs';
import { bundleWorker } from '../workerd.mjs';
import { SENTRY_REPLY } from './sentry/envelope.js';
import { snippetAfterMarker } from './snippets.js';

// The Vercel Edge Function example (examples/vercel-edge/api/relay.js), bundled and run in edge-runtime,
// Vercel's emulator of its Edge runtime (from npm), with the environment it reads, behind a stand-in for
// Vercel's edge that sets X-Real-IP from the TCP peer.
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FUNCTION = 'examples/vercel-edge/api/relay.js';
const ORIGIN = 'https://app.example';

describe('the Vercel Edge Function example', () => {
  let upstream: RecordingUpstream;
  let edge: RunningEdgeFunction;
  let dsn: string;

  beforeAll(async () => {
    upstream = await startUpstream({ reply: SENTRY_REPLY });
    dsn = upstream.dsn('42');
    const code = await bundleWorker(join(root, FUNCTION), {}, 'iife');
    edge = await startVercelEdge(code, {
      ALLOWED_ORIGINS: ORIGIN,
      SENTRY_DSN: dsn,
      DEBUGBUNDLE_PROJECT_TOKEN: 'srv-token',
      DEBUGBUNDLE_ENDPOINT: `${upstream.url}/v1/events`,
    });
  }, 30_000);

  afterAll(async () => {
    await edge?.stop();
    await upstream?.close();
  });

  it('is what the @postern/core README shows', async () => {
    const readme = await readFile(join(root, 'packages', 'core', 'README.md'), 'utf8');
    expect(snippetAfterMarker(readme, FUNCTION)).toBe(await readFile(join(root, FUNCTION), 'utf8'));
  });

  it('relays a DebugBundle batch with the secret token', async () => {
    const fixture = JSON.parse(
      await readFile(join(root, 'conformance', 'fixtures', 'browser', '02-route.json'), 'utf8'),
    );
    const body = JSON.stringify(fixture.cases[0].steps[0].request.json).replaceAll(
      '{{run}}',
      randomBytes(4).toString('hex'),
    );
    const answer = await fetch(`${edge.base}/debugbundle/browser`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body,
    });
    expect(answer.status).toBe(202);
    expect(
      upstream.received.map((request) => [request.path, request.headers.authorization]),
    ).toEqual([['/v1/events', 'Bearer srv-token']]);
  });

  it('tunnels an envelope on the path Sentry.init({ dsn, tunnel: true }) posts to, refuses gzip with 415 (no DecompressionStream), and 404s other paths', async () => {
    const envelope = `{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"${dsn}"}\n{"type":"event","length":2}\n{}\n`;
    const path = getTunnelPath(dsn) as string;
    const before = upstream.received.length;
    const answer = await fetch(`${edge.base}${path}`, {
      method: 'POST',
      headers: { origin: ORIGIN, 'content-type': 'application/x-sentry-envelope' },
      body: envelope,
    });
    expect(answer.status).toBe(200);
    expect(upstream.received.slice(before).map((request) => [request.path, request.body])).toEqual([
      ['/api/42/envelope/?sentry_version=7&sentry_key=public', envelope],
    ]);
    const gzip = await fetch(`${edge.base}${path}`, {
      method: 'POST',
      headers: {
        origin: ORIGIN,
        'content-type': 'application/x-sentry-envelope',
        'content-encoding': 'gzip',
      },
      body: gzipSync(envelope),
    });
    expect([gzip.status, (await gzip.json()).error]).toEqual([415, 'unsupported_media_type']);
    expect((await fetch(`${edge.base}/elsewhere`, { method: 'POST', body: envelope })).status).toBe(
      404,
    );
    expect(upstream.received).toHaveLength(before + 1);
  });
});
