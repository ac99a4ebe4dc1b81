import type { AddressInfo } from 'node:net';
import { type RecordingUpstream, startUpstream } from '@postern/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type LoadOptions } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createRelayServer, type RelayServer } from '../src/server.js';
import { envelope, ORIGIN, SENTRY_REPLY } from '../../node/test/tunnel-helpers.js';

async function problemsOf(options: LoadOptions): Promise<string[]> {
  try {
    await loadConfig({ env: {}, ...options });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('the tunnel: key', () => {
  it('names tunnel.<key> and the fix for every problem, the engine’s own refusals included', async () => {
    const problems = await problemsOf({
      text: 'projectMode: local-only\ntunnel:\n  dsn: https://k@o1.ingest.sentry.io/42\n  rateLimitPerMinute: 0\n  allowedOrigins: app.example\n',
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /tunnel\.dsn: is not a tunnel setting\. Fix: remove it or correct the spelling \(tunnel settings: dsns, /,
      ),
      expect.stringMatching(
        /tunnel\.rateLimitPerMinute: must be at least 1, got 0\. Fix: set tunnel\.rateLimitPerMinute: 300/,
      ),
      expect.stringMatching(/tunnel\.allowedOrigins: must be a list of origins/),
      expect.stringMatching(/tunnel\.dsns: is required\. Fix: set tunnel: \{ dsns: \[/),
    ]);
    expect(
      await problemsOf({
        text: 'projectMode: local-only\ntunnel:\n  dsns: [https://o1.ingest.sentry.io/42]\n',
      }),
    ).toEqual([
      expect.stringMatching(
        /tunnel\.dsns\[0\]: "https:\/\/o1\.ingest\.sentry\.io\/42" is not a Sentry DSN/,
      ),
    ]);
    expect(
      await problemsOf({
        text: 'projectMode: local-only\ntunnel:\n  dsns: [https://k@o1.ingest.sentry.io/42]\n  path: /debugbundle/browser\n',
      }),
    ).toEqual([expect.stringMatching(/tunnel\.path: must differ from the relay's path/)]);
    expect(await problemsOf({ text: 'projectMode: local-only\ntunnel: yes\n' })).toEqual([
      expect.stringMatching(/tunnel: must be a mapping with at least dsns/),
    ]);
  });

  it('takes managedPaths, basePath and path: false, and refuses what would serve nothing', async () => {
    const text = (tunnel: string) =>
      `projectMode: local-only\ntunnel:\n  dsns: [https://public@o1.ingest.sentry.io/42]\n${tunnel}`;
    const config = await loadConfig({
      env: {},
      text: text('  managedPaths: true\n  basePath: monitoring/\n  path: false\n'),
    });
    expect(config.tunnel).toEqual({
      dsns: ['https://public@o1.ingest.sentry.io/42'],
      managedPaths: true,
      basePath: 'monitoring/',
      path: false,
    });
    expect(await problemsOf({ text: text('  path: false\n') })).toEqual([
      expect.stringMatching(
        /tunnel\.path: false switches the fixed path off.*Set managedPaths: true/,
      ),
    ]);
    expect(await problemsOf({ text: text('  basePath: /m\n') })).toEqual([
      expect.stringMatching(/tunnel\.basePath prefixes the managed paths/),
    ]);
    expect(
      await problemsOf({ text: text('  managedPaths: yes please\n  basePath: 3\n  path: true\n') }),
    ).toEqual([
      expect.stringMatching(/tunnel\.managedPaths: must be true or false/),
      expect.stringMatching(/tunnel\.basePath: must be a path prefix/),
      expect.stringMatching(/tunnel\.path: must be a path starting with \/, or false/),
    ]);
  });

  it('takes allowedOrigins and trustProxy from the top level unless the tunnel sets its own; --tunnel-config-env text replaces the key', async () => {
    const config = await loadConfig({
      env: {},
      text: 'projectMode: local-only\nallowedOrigins: [https://a.example]\ntrustProxy: [loopback]\ntunnel:\n  dsns: [https://k@o1.ingest.sentry.io/42]\n  trustProxy: false\n',
    });
    expect(config.tunnel).toEqual({
      dsns: ['https://k@o1.ingest.sentry.io/42'],
      allowedOrigins: ['https://a.example'],
      trustProxy: false,
    });
    expect(config.relay).not.toHaveProperty('tunnel');
    const replaced = await loadConfig({
      env: { POSTERN_PROJECT_MODE: 'local-only' },
      tunnelText: '{"dsns":["https://k@o1.ingest.sentry.io/7"],"path":"/sentry"}',
      tunnelTextSource: 'environment T',
    });
    expect(replaced.tunnel).toEqual({ dsns: ['https://k@o1.ingest.sentry.io/7'], path: '/sentry' });
    expect(
      await problemsOf({
        env: { POSTERN_PROJECT_MODE: 'local-only' },
        tunnelText: '{"dsns":[]}',
        tunnelTextSource: 'environment T',
      }),
    ).toEqual([expect.stringMatching(/^environment T: tunnel\.dsns: must be a non-empty list/)]);
  });
});

describe('postern serve with a tunnel', () => {
  let server: RelayServer | undefined;
  let sink: RecordingUpstream | undefined;
  afterEach(async () => {
    await server?.close();
    await sink?.close();
  });

  it('serves the tunnel beside the relay, counts answers and mirror copies in /metrics', async () => {
    sink = await startUpstream({ reply: SENTRY_REPLY });
    const tunnel = { dsns: [{ dsn: sink.dsn('42'), forwardTo: [sink.dsn('42'), sink.dsn('43')] }] };
    const config = await loadConfig({
      env: {},
      text: JSON.stringify({
        projectMode: 'local-only',
        port: 0,
        adminPort: 0,
        allowedOrigins: [ORIGIN],
        logLevel: 'silent',
        tunnel,
      }),
    });
    server = await createRelayServer(config, createLogger('silent'));
    const { port } = (await server.listen()) as AddressInfo;
    const base = `http://127.0.0.1:${port}`;
    const post = (body: Buffer) =>
      fetch(`${base}/postern/tunnel`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'text/plain;charset=UTF-8' },
        body: new Uint8Array(body),
      });

    const valid = envelope(sink.dsn('42'));
    const accepted = await post(valid);
    expect(accepted.status).toBe(200);
    expect((await post(envelope(sink.dsn('99')))).status).toBe(403);
    await server.tunnel?.close(); // waits for the mirror copy
    const primary = sink.received.find((request) => request.path.startsWith('/api/42/'));
    expect(primary?.raw.equals(valid)).toBe(true);
    expect(sink.received.some((request) => request.path.startsWith('/api/43/'))).toBe(true);

    expect((await fetch(`${base}/metrics`)).status, 'metrics are not on the public port').toBe(404);
    const metrics = await (
      await fetch(`http://127.0.0.1:${server.adminAddress()?.port}/metrics`)
    ).text();
    expect(metrics).toContain('postern_tunnel_requests_total{status="200",code="none"} 1');
    expect(metrics).toContain(
      'postern_tunnel_requests_total{status="403",code="dsn_not_allowed"} 1',
    );
    expect(metrics).toMatch(
      /postern_tunnel_mirror_total\{target="127\.0\.0\.1:\d+\/43",result="ok"\} 1/,
    );
    expect(
      (
        await fetch(`${base}/debugbundle/browser`, {
          method: 'OPTIONS',
          headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
        })
      ).status,
    ).toBe(204);
  });

  it('serves the managed path of each DSN with managedPaths, and not the fixed path with path: false', async () => {
    sink = await startUpstream({ reply: SENTRY_REPLY });
    const dsn = sink.dsn('42');
    const config = await loadConfig({
      env: {},
      text: JSON.stringify({
        projectMode: 'local-only',
        port: 0,
        allowedOrigins: [ORIGIN],
        logLevel: 'silent',
        tunnel: { dsns: [dsn], managedPaths: true, basePath: '/monitoring', path: false },
      }),
    });
    server = await createRelayServer(config, createLogger('silent'));
    const { port } = (await server.listen()) as AddressInfo;
    const managed = server.tunnel?.paths[0] as string;
    expect(server.tunnel?.paths).toEqual([managed]);
    expect(managed).toMatch(/^\/monitoring\/[0-9a-z]{1,7}$/);
    const post = (path: string) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'text/plain;charset=UTF-8' },
        body: new Uint8Array(envelope(dsn)),
      });
    expect((await post(managed)).status).toBe(200);
    expect((await post(`${managed}/`)).status).toBe(200);
    expect((await post('/postern/tunnel')).status).toBe(404);
    expect(sink.received.filter((request) => request.path.startsWith('/api/42/'))).toHaveLength(2);
  });
});
