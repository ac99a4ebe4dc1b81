// Shared by every adapter's tunnel test: Sentry's answer for a recording upstream (`startUpstream` from
// @postern/conformance) standing in for Sentry, an envelope with binary bytes in it, and the two checks each
// adapter must pass on a real listening server.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReceivedRequest, RecordingUpstream, UpstreamAnswer } from '@postern/conformance';
import { getTunnelPath } from '@sentry/core';
import { expect } from 'vitest';

export const ORIGIN = 'https://app.example';

/** What Sentry answers an envelope: 200 `{"id":…}`; `startUpstream({ reply: SENTRY_REPLY })` answers so. */
export const SENTRY_REPLY: UpstreamAnswer = {
  status: 200,
  body: '{"id":"0123456789abcdef0123456789abcdef"}',
};

/** An envelope for `dsn` with an attachment whose bytes are not UTF-8, so any re-encoding on the way shows. */
export function envelope(dsn: string): Buffer {
  const attachment = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0a, 0xc3]);
  return Buffer.concat([
    Buffer.from(
      `${JSON.stringify({ event_id: '0123456789abcdef0123456789abcdef', dsn, sent_at: new Date().toISOString() })}\n`,
    ),
    Buffer.from(
      `${JSON.stringify({ type: 'attachment', length: attachment.length, filename: 'crash.bin' })}\n`,
    ),
    attachment,
    Buffer.from('\n'),
  ]);
}

function post(url: string, body: Buffer): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'text/plain;charset=UTF-8' },
    body: new Uint8Array(body),
  });
}

/** What `sink` received from the call of this function on (a test may check several servers with one sink). */
function receivedSince(sink: RecordingUpstream): () => readonly ReceivedRequest[] {
  const from = sink.received.length;
  return () => sink.received.slice(from);
}

/**
 * What every adapter's tunnel must do at `url` (allowing only project 42 of `sink`, which answers
 * `SENTRY_REPLY`): forward a valid envelope byte for byte and pass Sentry's answer back; refuse an envelope
 * for another project with 403.
 */
export async function expectTunnel(url: string, sink: RecordingUpstream): Promise<void> {
  const received = receivedSince(sink);
  const valid = envelope(sink.dsn('42'));
  const accepted = await post(url, valid);
  expect(accepted.status).toBe(200);
  expect(await accepted.json()).toEqual({ id: '0123456789abcdef0123456789abcdef' });
  expect(accepted.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  expect(received()).toHaveLength(1);
  expect(received()[0]?.path).toMatch(/^\/api\/42\/envelope\/\?/);
  expect(received()[0]?.raw.equals(valid)).toBe(true);

  const refused = await post(url, envelope(sink.dsn('43')));
  expect(refused.status).toBe(403);
  expect(await refused.json()).toMatchObject({ error: 'dsn_not_allowed' });
  expect(received()).toHaveLength(1);
}

/** The tunnel options the tests mount: project 42 of the sink, from the test origin. */
export function tunnelOptionsFor(sink: RecordingUpstream): {
  dsns: string[];
  allowedOrigins: string[];
} {
  return { dsns: [sink.dsn('42')], allowedOrigins: [ORIGIN] };
}

/** Listens on a free loopback port; resolves with the base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The path `Sentry.init({ dsn, tunnel: true })` posts to, as the installed @sentry/core derives it. */
export function sdkTunnelPath(dsn: string): string {
  const path = getTunnelPath(dsn);
  if (path === undefined) throw new Error(`@sentry/core derives no tunnel path from ${dsn}`);
  return path;
}

/**
 * What every adapter's tunnel with `managedPaths: true` must do on `base` (allowing only project 42 of
 * `sink`): forward on the path the SDK derives from the DSN, with and without a trailing slash; and not
 * serve the path of another DSN, which gets `elsewhere` (the app's own answer, 404 by default).
 */
export async function expectManagedTunnel(
  base: string,
  sink: RecordingUpstream,
  elsewhere = 404,
): Promise<void> {
  const received = receivedSince(sink);
  const dsn = sink.dsn('42');
  const path = sdkTunnelPath(dsn);
  for (const target of [path, `${path}/`])
    expect((await post(`${base}${target}`, envelope(dsn))).status, target).toBe(200);
  expect(received().map((request) => request.path.split('?')[0])).toEqual([
    '/api/42/envelope/',
    '/api/42/envelope/',
  ]);
  const other = sink.dsn('43');
  expect((await post(`${base}${sdkTunnelPath(other)}`, envelope(other))).status).toBe(elsewhere);
  expect(received()).toHaveLength(2);
}

/**
 * A managed path stays bound to its own DSN (R-MANAGED-6) under a spelling the framework's router still routes
 * to the tunnel (`spell` turns the path into it): with projects 42 and 43 both configured, an envelope for 43
 * sent to 42's path so spelled is 403 and goes nowhere, while one for 42 is forwarded.
 */
export async function expectBoundUnderSpelling(
  base: string,
  sink: RecordingUpstream,
  spell: (path: string) => string,
): Promise<void> {
  const received = receivedSince(sink);
  const own = sink.dsn('42');
  const target = spell(sdkTunnelPath(own));
  const refused = await post(`${base}${target}`, envelope(sink.dsn('43')));
  expect(refused.status, target).toBe(403);
  expect(await refused.json()).toMatchObject({ error: 'dsn_not_allowed' });
  expect(received()).toHaveLength(0);
  expect((await post(`${base}${target}`, envelope(own))).status, target).toBe(200);
  expect(received().map((request) => request.path.split('?')[0])).toEqual(['/api/42/envelope/']);
}

/** Tunnel options for projects 42 and 43 of the sink with managed paths, from the test origin. */
export function twoProjectOptionsFor(sink: RecordingUpstream): {
  dsns: string[];
  allowedOrigins: string[];
  managedPaths: true;
} {
  return { dsns: [sink.dsn('42'), sink.dsn('43')], allowedOrigins: [ORIGIN], managedPaths: true };
}
