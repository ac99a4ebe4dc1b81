import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { type RecordingUpstream, startUpstream } from '@postern/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type LoadOptions } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createRelayServer, type RelayServer } from '../src/server.js';
import { ORIGIN, SENTRY_REPLY } from '../../node/test/tunnel-helpers.js';

async function problemsOf(options: LoadOptions): Promise<string[]> {
  try {
    await loadConfig({ env: {}, ...options });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

const DSN = 'https://k@o1.ingest.sentry.io/42';

describe('tunnel: dropItems, allowItems, eventFilters, serverContext', () => {
  it('takes them from the file as the engine takes them', async () => {
    const config = await loadConfig({
      env: {},
      text: `projectMode: local-only\ntunnel:\n  dsns: [${DSN}]\n  dropItems: [replay_event, replay_recording, client_report]\n  eventFilters:\n    errorMessages: ["*ResizeObserver loop*"]\n    releases: ["legacy-*"]\n  serverContext: { release: web@2.4.0, serverName: tunnel-1, environment: production }\n`,
    });
    expect(config.tunnel).toMatchObject({
      dropItems: ['replay_event', 'replay_recording', 'client_report'],
      eventFilters: { errorMessages: ['*ResizeObserver loop*'], releases: ['legacy-*'] },
      serverContext: { release: 'web@2.4.0', serverName: 'tunnel-1', environment: 'production' },
    });
  });

  it('names tunnel.<key> and the fix for each problem, the engine’s own refusals included', async () => {
    const base = `projectMode: local-only\ntunnel:\n  dsns: [${DSN}]\n`;
    expect(
      await problemsOf({
        text: `${base}  dropItems: replay_event\n  eventFilters: [x]\n  serverContext: production\n`,
      }),
    ).toEqual([
      expect.stringMatching(
        /tunnel\.dropItems: must be a list of Sentry item types, got "replay_event"\. Fix: set tunnel\.dropItems: \[replay_event/,
      ),
      expect.stringMatching(
        /tunnel\.eventFilters: must be a mapping with errorMessages and\/or releases/,
      ),
      expect.stringMatching(
        /tunnel\.serverContext: must be a mapping with release, serverName and\/or environment/,
      ),
    ]);
    expect(
      await problemsOf({ text: `${base}  dropItems: [session]\n  allowItems: [event]\n` }),
    ).toEqual([
      expect.stringMatching(/tunnel\.dropItems and allowItems: set one or the other, not both/),
    ]);
    expect(await problemsOf({ text: `${base}  allowItems: [events]\n` })).toEqual([
      expect.stringMatching(/tunnel\.allowItems\[0\]: "events" is not a Sentry envelope item type/),
    ]);
    expect(await problemsOf({ text: `${base}  eventFilters: { releases: [""] }\n` })).toEqual([
      expect.stringMatching(
        /tunnel\.eventFilters\.releases\[0\]: must be a non-empty glob pattern/,
      ),
    ]);
    expect(await problemsOf({ text: `${base}  serverContext: { environment: a/b }\n` })).toEqual([
      expect.stringMatching(/tunnel\.serverContext\.environment: must not contain \//),
    ]);
  });
});

describe('postern serve counts the items its tunnel removes', () => {
  let server: RelayServer | undefined;
  let sink: RecordingUpstream | undefined;
  afterEach(async () => {
    await server?.close();
    await sink?.close();
  });

  it('in /metrics by reason, and in the request log line', async () => {
    sink = await startUpstream({ reply: SENTRY_REPLY });
    const tunnel = {
      dsns: [sink.dsn('42')],
      dropItems: ['client_report'],
      eventFilters: { errorMessages: ['*ResizeObserver loop*'] },
    };
    const config = await loadConfig({
      env: {},
      text: JSON.stringify({
        projectMode: 'local-only',
        port: 0,
        adminPort: 0,
        allowedOrigins: [ORIGIN],
        logLevel: 'info',
        tunnel,
      }),
    });
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    server = await createRelayServer(config, createLogger('info', destination));
    const { port } = (await server.listen()) as AddressInfo;
    const item = (type: string, payload: string): string =>
      `${JSON.stringify({ type, length: Buffer.byteLength(payload) })}\n${payload}\n`;
    const head = `${JSON.stringify({ event_id: '0123456789abcdef0123456789abcdef', dsn: sink.dsn('42') })}\n`;
    const post = (body: string) =>
      fetch(`http://127.0.0.1:${port}/postern/tunnel`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'text/plain;charset=UTF-8' },
        body,
      });

    const filtered =
      '{"exception":{"values":[{"type":"Error","value":"ResizeObserver loop limit exceeded"}]}}';
    const emptied = await post(`${head}${item('event', filtered)}${item('client_report', '{}')}`);
    expect(emptied.status).toBe(200);
    expect(await emptied.json()).toEqual({ id: '0123456789abcdef0123456789abcdef' });
    const forwarded = await post(
      `${head}${item('event', '{"message":"Payment failed"}')}${item('client_report', '{}')}`,
    );
    expect(forwarded.status).toBe(200);
    expect(sink.received.map((request) => request.body)).toEqual([
      `${head}${item('event', '{"message":"Payment failed"}')}`,
    ]);

    const metrics = await (
      await fetch(`http://127.0.0.1:${server.adminAddress()?.port}/metrics`)
    ).text();
    expect(metrics).toContain('postern_tunnel_items_dropped_total{reason="item_type"} 2');
    expect(metrics).toContain('postern_tunnel_items_dropped_total{reason="error_message"} 1');
    expect(metrics).toContain('postern_tunnel_requests_total{status="200",code="none"} 2');
    const logged = lines.filter((line) => line.msg === 'tunnel request');
    expect(logged.map((line) => line.dropped)).toEqual([
      { error_message: 1, item_type: 1 },
      { item_type: 1 },
    ]);
  });
});
