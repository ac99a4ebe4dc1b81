import Fastify from 'fastify';
import { type RecordingUpstream, startUpstream } from '@postern/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { posternRelay, posternTunnel } from '../src/index.js';
import {
  expectBoundUnderSpelling,
  expectManagedTunnel,
  expectTunnel,
  ORIGIN,
  SENTRY_REPLY,
  tunnelOptionsFor,
  twoProjectOptionsFor,
} from '../../node/test/tunnel-helpers.js';

describe('posternTunnel (Fastify)', () => {
  let sink: RecordingUpstream | undefined;
  afterEach(async () => sink?.close());

  it('forwards a valid envelope byte for byte and refuses an unknown DSN, beside the relay', async () => {
    sink = await startUpstream({ reply: SENTRY_REPLY });
    const app = Fastify();
    await app.register(posternRelay, { projectToken: 'srv-token', allowedOrigins: [ORIGIN] });
    await app.register(posternTunnel, tunnelOptionsFor(sink));
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      await expectTunnel(`${address}/postern/tunnel`, sink);
    } finally {
      await app.close();
    }
  });

  it('registers the managed paths, each with a trailing slash, also when the router already ignores trailing slashes', async () => {
    for (const options of [{}, { routerOptions: { ignoreTrailingSlash: true } }]) {
      sink = await startUpstream({ reply: SENTRY_REPLY });
      const app = Fastify(options);
      await app.register(posternTunnel, { ...tunnelOptionsFor(sink), managedPaths: true });
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        await expectManagedTunnel(address, sink);
      } finally {
        await app.close();
        await sink.close();
        sink = undefined;
      }
    }
  });

  it('keeps a managed path to its DSN when the router decodes a percent-escape, ignores case or adds a prefix', async () => {
    const spellings: [
      { routerOptions?: { caseSensitive: boolean } },
      string | undefined,
      (path: string) => string,
    ][] = [
      [{}, undefined, (path) => `/%${path.charCodeAt(1).toString(16)}${path.slice(2)}`],
      [{ routerOptions: { caseSensitive: false } }, undefined, (path) => path.toUpperCase()],
      [{}, '/prefix', (path) => `/prefix${path}`],
    ];
    for (const [options, prefix, spell] of spellings) {
      sink = await startUpstream({ reply: SENTRY_REPLY });
      const app = Fastify(options);
      await app.register(posternTunnel, {
        ...twoProjectOptionsFor(sink),
        ...(prefix ? { prefix } : {}),
      });
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      try {
        await expectBoundUnderSpelling(address, sink, spell);
      } finally {
        await app.close();
        await sink.close();
        sink = undefined;
      }
    }
  });

  it("is not cut by Fastify's bodyLimit: a 2 MiB envelope reaches the engine, whose own cap applies", async () => {
    sink = await startUpstream({ reply: SENTRY_REPLY });
    const app = Fastify({ bodyLimit: 1024 });
    await app.register(posternTunnel, {
      ...tunnelOptionsFor(sink),
      path: '/sentry',
      maxEnvelopeBytes: 3 * 1024 * 1024,
    });
    const header = `${JSON.stringify({ dsn: sink.dsn('42') })}\n`;
    const payload = 'x'.repeat(2 * 1024 * 1024);
    const body = `${header}${JSON.stringify({ type: 'attachment', length: payload.length })}\n${payload}\n`;
    const accepted = await app.inject({
      method: 'POST',
      url: '/sentry',
      headers: { origin: ORIGIN, 'content-type': 'text/plain' },
      payload: body,
    });
    expect(accepted.statusCode).toBe(200);
    expect(sink.received[0]?.body).toBe(body);
    const tooLarge = await app.inject({
      method: 'POST',
      url: '/sentry',
      headers: { origin: ORIGIN, 'content-type': 'text/plain' },
      payload: `${body}${payload}`,
    });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json()).toMatchObject({ error: 'payload_too_large' });
    await app.close();
  });
});
