import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleEvent } from '@postern/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createRelayServer, type RelayServer } from '../src/server.js';

const ORIGIN = 'https://app.example';

describe('postern serve logs and counts what became of each item', () => {
  let server: RelayServer | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('names the item rejection codes and the duplicates, in the log line and in /metrics', async () => {
    dir = await mkdtemp(join(tmpdir(), 'postern-item-codes-'));
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    const config = await loadConfig({
      env: {},
      text: JSON.stringify({
        projectMode: 'local-only',
        localEventsDir: dir,
        port: 0,
        adminPort: 0,
        allowedOrigins: [ORIGIN],
      }),
    });
    server = await createRelayServer(config, logger);
    const { port } = (await server.listen()) as AddressInfo;
    const base = `http://127.0.0.1:${port}`;
    const body = JSON.stringify({
      batch: [
        sampleEvent('frontend_exception'),
        { ...sampleEvent('request_event'), event_type: 'log_event' },
        { event_type: 'frontend_breadcrumb' },
        sampleEvent('analytics_event'),
      ],
    });
    const post = () =>
      fetch(`${base}/debugbundle/browser`, {
        method: 'POST',
        headers: { origin: ORIGIN, 'content-type': 'application/json' },
        body,
      });

    expect((await post()).status).toBe(400);
    expect((await post()).status).toBe(400);
    const requests = lines.filter((line) => line.msg === 'relay request');
    expect(requests).toEqual([
      expect.objectContaining({
        status: 400,
        code: 'none',
        accepted: 2,
        rejected: { event_type_server_only: 1, event_invalid: 1 },
      }),
      expect.objectContaining({
        status: 400,
        code: 'none',
        accepted: 2,
        duplicates: 2,
        rejected: { event_type_server_only: 1, event_invalid: 1 },
      }),
    ]);
    expect(
      (await fetch(`${base}/debugbundle/browser`, { method: 'PUT', headers: { origin: ORIGIN } }))
        .status,
    ).toBe(405);
    expect(lines.filter((line) => line.msg === 'relay request').at(-1)).toEqual(
      expect.objectContaining({ status: 405, code: 'method_not_allowed' }),
    );

    expect((await fetch(`${base}/metrics`)).status, 'metrics are not on the public port').toBe(404);
    const metrics = await (
      await fetch(`http://127.0.0.1:${server.adminAddress()?.port}/metrics`)
    ).text();
    expect(metrics).toContain('postern_requests_total{outcome="partial",code="none"} 2');
    expect(metrics).toContain(
      'postern_requests_total{outcome="refused",code="method_not_allowed"} 1',
    );
    expect(metrics).toContain('postern_events_total{outcome="accepted",code="none"} 2');
    expect(metrics).toContain('postern_events_total{outcome="duplicate",code="none"} 2');
    expect(metrics).toContain(
      'postern_events_total{outcome="rejected",code="event_type_server_only"} 2',
    );
    expect(metrics).toContain('postern_events_total{outcome="rejected",code="event_invalid"} 2');
  });
});
