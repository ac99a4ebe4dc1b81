// close() is reachable from what every adapter hands the app, and it stops the engine: a durable relay's
// redelivery worker retries a spooled batch against a failing upstream until close() resolves, and never after.
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getConnInfo } from '@hono/node-server/conninfo';
import { sampleEvent, serveApp, startUpstream, type RecordingUpstream } from '@postern/conformance';
import { posternRelay as expressRelay } from '@postern/express';
import { posternRelay as fastifyRelay } from '@postern/fastify';
import { posternRelay as honoRelay } from '@postern/hono';
import { posternRelay as nextRelay } from '@postern/next';
import { posternRelay as nodeRelay } from '@postern/node';
import { posternRelay as svelteKitRelay } from '@postern/sveltekit';
import type { RequestEvent } from '@sveltejs/kit';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const PATH = '/debugbundle/browser';
const ORIGIN = 'https://app.example';

/** A relay mounted the way each framework mounts it: how to send one batch, and how the app closes it. */
interface Mounted {
  post(body: string): Promise<number>;
  close(): Promise<void>;
}

function request(body: string, origin = 'http://127.0.0.1'): Request {
  return new Request(`${origin}${PATH}`, {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/json' },
    body,
  });
}

async function overHttp(
  app: Parameters<typeof serveApp>[0],
): Promise<(body: string) => Promise<number>> {
  const served = await serveApp(app);
  closers.push(served.close);
  return async (body) => (await fetch(request(body, served.origin))).status;
}

const closers: Array<() => Promise<void>> = [];

const ADAPTERS: Record<string, (options: Record<string, unknown>) => Promise<Mounted>> = {
  express: async (options) => {
    const relay = expressRelay(options as never);
    const app = express();
    app.use(PATH, relay);
    return { post: await overHttp(app), close: relay.close };
  },
  // Fastify's own close() runs the plugin's onClose hook.
  fastify: async (options) => {
    const app = Fastify();
    await app.register(fastifyRelay, options as never);
    return { post: await overHttp(app), close: () => app.close() };
  },
  hono: async (options) => {
    const relay = honoRelay({ ...options, getConnInfo } as never);
    return { post: await overHttp(new Hono().all(PATH, relay)), close: relay.close };
  },
  node: async (options) => {
    const relay = nodeRelay(options as never);
    return {
      post: await overHttp(createServer((req, res) => relay(req, res))),
      close: relay.close,
    };
  },
  next: async (options) => {
    const relay = nextRelay({ ...options, peerAddress: '127.0.0.1' } as never);
    return { post: async (body) => (await relay.POST(request(body))).status, close: relay.close };
  },
  sveltekit: async (options) => {
    const relay = svelteKitRelay(options as never);
    const post = async (body: string): Promise<number> => {
      const req = request(body);
      const event = {
        request: req,
        url: new URL(req.url),
        getClientAddress: () => '127.0.0.1',
        platform: {},
      };
      return (await relay(event as unknown as RequestEvent)).status;
    };
    return { post, close: relay.close };
  },
};

let upstream: RecordingUpstream;
let spoolDir: string;
beforeEach(async () => {
  upstream = await startUpstream({ reply: { status: 503 } });
  spoolDir = await mkdtemp(join(tmpdir(), 'postern-close-'));
});
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await upstream.close();
  await rm(spoolDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(Object.keys(ADAPTERS))('close() with @postern/%s', (name) => {
  it('stops the redelivery worker: retries while the app runs, none once close() has resolved', async () => {
    const mounted = await (ADAPTERS[name] as (typeof ADAPTERS)[string])({
      projectToken: 'srv-token',
      allowedOrigins: [ORIGIN],
      endpoint: `${upstream.url}/v1/events`,
      durableWrite: true,
      spoolDir,
      retryBaseMs: 50,
      retryMaxMs: 200,
    });
    expect(await mounted.post(JSON.stringify({ batch: [sampleEvent('frontend_exception')] }))).toBe(
      202,
    );
    // The upstream refuses with 503, so the spooled batch is retried, every 200 ms at most.
    await expect.poll(() => upstream.received.length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    await mounted.close();
    const attempts = upstream.received.length;
    upstream.setReply({ status: 202 });
    await sleep(800);
    expect(upstream.received.length).toBe(attempts);
  });
});
