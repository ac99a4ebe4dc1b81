import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  abuseConfig,
  gzipBomb,
  openFilesLimit,
  parseResponse,
  rawConnectMany,
  recordingUpstream,
  sampleRss,
  send,
  sendValid,
  startRelay,
  validBatch,
  waitFor,
  type Answer,
  type RawConnection,
  type RecordingUpstream,
  type Relay,
} from './abuse-helpers.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { ORIGIN } from './helpers.js';

/**
 * Network-level abuse of `postern serve` as a real child process: each attack checks the documented answer,
 * the relay's resident memory (from /proc, printed in an `abuse:` line), and that a valid batch still gets
 * 202 afterwards.
 */

const RSS_BOUND_MB = 150;
/** Node costs ~25 KB per open connection (socket, HTTP parser, buffers): 3000 of them over a ~80 MB process. */
const FLOOD_RSS_BOUND_MB = 200;
const HEADERS_TIMEOUT_MS = 1000;
const REQUEST_TIMEOUT_MS = 2000;
const MAX_BODY_BYTES = 64 * 1024;
const BOMB_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Above the tunnel bomb's 255 KB on the wire, far below the 256 MB it inflates to. */
const TUNNEL_MAX_ENVELOPE_BYTES = 1024 * 1024;
const PROXY_RATE_LIMIT = 5;

let upstream: RecordingUpstream;
/** Short timeouts, a 64 KiB cap, allowlist: slowloris and oversized bodies. */
let timeouts: Relay;
/** A cap well above the bomb's size, so only the Content-Encoding rule can refuse it. */
let bomb: Relay;
/** Node-like timeouts (long), so thousands of idle sockets stay open while they are counted. */
let flood: Relay;
/** Same-origin default (no allowedOrigins), no trusted proxy, 5 POSTs a minute. */
let proxy: Relay;
/** allowedOrigins: [https://app.example]. */
let origins: Relay;

beforeAll(async () => {
  upstream = await recordingUpstream();
  [timeouts, bomb, flood, proxy, origins] = await Promise.all([
    startRelay(abuseConfig(upstream.url, { allowedOrigins: [ORIGIN], headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, maxBodyBytes: MAX_BODY_BYTES })),
    startRelay(abuseConfig(upstream.url, { allowedOrigins: [ORIGIN], maxBodyBytes: BOMB_MAX_BODY_BYTES, tunnel: { dsns: [tunnelDsn()], maxEnvelopeBytes: TUNNEL_MAX_ENVELOPE_BYTES } })),
    startRelay(abuseConfig(upstream.url, { allowedOrigins: [ORIGIN], headersTimeoutMs: 20_000, requestTimeoutMs: 30_000 })),
    startRelay(abuseConfig(upstream.url, { rateLimit: { limit: PROXY_RATE_LIMIT, windowMs: 60_000 } })),
    startRelay(abuseConfig(upstream.url, { allowedOrigins: [ORIGIN] })),
  ]);
});

afterAll(async () => {
  await Promise.all([timeouts, bomb, flood, proxy, origins].filter((relay) => relay !== undefined).map((relay) => relay.stop()));
  await upstream?.close();
});

/** The tunnel's DSN names the recording upstream, so an envelope that got through would show up there. */
function tunnelDsn(): string {
  return `http://0123456789abcdef@${new URL(upstream.url).host}/42`;
}

function delivered(id: string): boolean {
  return upstream.requests.some((request) => request.body.includes(id));
}

/** The relay is alive, under the memory bound, and still answers a valid batch with 202 and forwards it. */
async function expectStillServing(
  relay: Relay,
  attack: string,
  detail: string,
  maxRssMb?: number,
  from?: { origin: string; localAddress: string },
  boundMb = RSS_BOUND_MB,
): Promise<void> {
  expect(relay.alive(), `the relay died during ${attack}:\n${relay.output()}`).toBe(true);
  const memory = relay.memory();
  console.log(`abuse: ${attack}: ${detail}; relay RSS ${memory.rssMb} MB now${maxRssMb !== undefined ? `, ${maxRssMb} MB at most while attacked` : ''}, peak since start ${memory.peakMb} MB (bound ${boundMb} MB)`);
  expect(memory.peakMb, `peak RSS of the relay (VmHWM) after ${attack}`).toBeLessThan(boundMb);
  const answer = await sendValid(relay.url, `after-${attack.replace(/\W+/g, '-')}`, from?.origin, from?.localAddress);
  expect(answer.status, `a valid batch after ${attack}: ${answer.body}\n${relay.output()}`).toBe(202);
  expect(delivered(answer.id), 'the valid batch reached the upstream').toBe(true);
}

/** Which connections the server closed (not the test), how long each lived, and what each was answered. */
function closures(connections: RawConnection[]): { open: number; byUs: number; lifetimes: number[]; statuses: Array<number | undefined> } {
  return {
    open: connections.filter((connection) => connection.closedAt === undefined).length,
    byUs: connections.filter((connection) => connection.closedByUs).length,
    lifetimes: connections.map((connection) => (connection.closedAt ?? Number.POSITIVE_INFINITY) - connection.openedAt),
    statuses: connections.map((connection) => parseResponse(connection.received())?.status),
  };
}

describe('server timeouts configuration', () => {
  it('defaults to 10 s for headers and 30 s for a request, and refuses a headers timeout longer than the request timeout', async () => {
    const env = { POSTERN_PROJECT_TOKEN: 'tok' };
    const defaults = await loadConfig({ text: '{}', env });
    expect([defaults.headersTimeoutMs, defaults.requestTimeoutMs]).toEqual([10_000, 30_000]);
    const set = await loadConfig({ text: 'headersTimeoutMs: 1500\nrequestTimeoutMs: 4000', env: { ...env, POSTERN_REQUEST_TIMEOUT_MS: '5000' } });
    expect([set.headersTimeoutMs, set.requestTimeoutMs]).toEqual([1500, 5000]);
    const problems = async (text: string): Promise<string[]> => loadConfig({ text, textSource: 'postern.yaml', env }).then(() => [], (error: unknown) => (error instanceof ConfigError ? error.problems : [String(error)]));
    expect(await problems('headersTimeoutMs: 40000')).toEqual([expect.stringMatching(/^headersTimeoutMs: must not be more than requestTimeoutMs \(30000\)/)]);
    expect(await problems('requestTimeoutMs: 0')).toEqual([expect.stringMatching(/requestTimeoutMs: must be at least 1/)]);
    expect(await problems('headersTimeoutMs: "10s"')).toEqual([expect.stringMatching(/headersTimeoutMs: must be a whole number/)]);
  });
});

describe('slowloris', () => {
  it(`closes 200 connections that trickle header lines and never finish: 408 after headersTimeoutMs (${HEADERS_TIMEOUT_MS} ms)`, async () => {
    const COUNT = 200;
    const fdsBefore = timeouts.fds();
    const { result: connections, maxRssMb } = await sampleRss(timeouts.pid, async () => {
      const connections = await rawConnectMany(timeouts.port, COUNT);
      for (const connection of connections) connection.write(`POST /debugbundle/browser HTTP/1.1\r\nHost: 127.0.0.1:${timeouts.port}\r\nOrigin: ${ORIGIN}\r\n`);
      let line = 0;
      const drip = setInterval(() => {
        line++;
        for (const connection of connections) if (connection.closedAt === undefined) connection.write(`X-Drip-${line}: ${'a'.repeat(16)}\r\n`);
      }, 100);
      await waitFor(() => connections.every((connection) => connection.closedAt !== undefined), HEADERS_TIMEOUT_MS + 8000);
      clearInterval(drip);
      return connections;
    });
    for (const connection of connections) connection.destroy();
    const seen = closures(connections);
    const dripped = Math.min(...connections.map((connection) => connection.bytesSent));
    const released = await waitFor(() => timeouts.fds() <= fdsBefore + 2, 5000);
    expect(seen.open, 'connections still open').toBe(0);
    expect(seen.byUs, 'closed by the test rather than the server').toBe(0);
    // Held for the whole headers timeout while still sending (so it was the timeout, not a refusal), closed soon after it.
    expect(Math.min(...seen.lifetimes)).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 100);
    expect(Math.max(...seen.lifetimes)).toBeLessThan(HEADERS_TIMEOUT_MS + 3000);
    expect(dripped, 'bytes each connection trickled before it was closed').toBeGreaterThan(150);
    expect(seen.statuses.every((status) => status === 408), `statuses: ${[...new Set(seen.statuses)].join(', ')}`).toBe(true);
    expect(released, `the relay still holds ${timeouts.fds() - fdsBefore} more descriptors than before`).toBe(true);
    await expectStillServing(
      timeouts,
      'slowloris headers',
      `${COUNT} sockets trickling headers every 100 ms, all answered 408 and closed after ${Math.min(...seen.lifetimes)}–${Math.max(...seen.lifetimes)} ms`,
      maxRssMb,
    );
  });

  it(`closes 100 connections whose body arrives a byte at a time: 408 after requestTimeoutMs (${REQUEST_TIMEOUT_MS} ms)`, async () => {
    const COUNT = 100;
    const fdsBefore = timeouts.fds();
    const { result: connections, maxRssMb } = await sampleRss(timeouts.pid, async () => {
      const connections = await rawConnectMany(timeouts.port, COUNT);
      const { body } = validBatch('slow-body');
      for (const connection of connections) {
        connection.write(
          `POST /debugbundle/browser HTTP/1.1\r\nHost: 127.0.0.1:${timeouts.port}\r\nOrigin: ${ORIGIN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
      }
      let offset = 0;
      const drip = setInterval(() => {
        const byte = body[offset++ % body.length] as string;
        for (const connection of connections) if (connection.closedAt === undefined) connection.write(byte);
      }, 100);
      await waitFor(() => connections.every((connection) => connection.closedAt !== undefined), REQUEST_TIMEOUT_MS + 8000);
      clearInterval(drip);
      return connections;
    });
    for (const connection of connections) connection.destroy();
    const seen = closures(connections);
    const released = await waitFor(() => timeouts.fds() <= fdsBefore + 2, 5000);
    expect(seen.open, 'connections still open').toBe(0);
    expect(seen.byUs, 'closed by the test rather than the server').toBe(0);
    // Past the headers timeout (the headers were complete), closed at the request timeout.
    expect(Math.min(...seen.lifetimes)).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(Math.max(...seen.lifetimes)).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
    expect(seen.statuses.every((status) => status === 408), `statuses: ${[...new Set(seen.statuses)].join(', ')}`).toBe(true);
    expect(released, `the relay still holds ${timeouts.fds() - fdsBefore} more descriptors than before`).toBe(true);
    await expectStillServing(
      timeouts,
      'slowloris bodies',
      `${COUNT} sockets sending a body a byte per 100 ms, all answered 408 and closed after ${Math.min(...seen.lifetimes)}–${Math.max(...seen.lifetimes)} ms`,
      maxRssMb,
    );
  });
});

describe('oversized chunked bodies', () => {
  it(`answers 413 payload_too_large to 40 parallel chunked bodies over maxBodyBytes (${MAX_BODY_BYTES}) before they finish`, async () => {
    const COUNT = 40;
    const CHUNK = 8192;
    const GIVE_UP_BYTES = 1024 * 1024; // 16 times the cap: a relay that waits for the end never answers
    const chunk = Buffer.concat([Buffer.from(`${CHUNK.toString(16)}\r\n`), Buffer.alloc(CHUNK, 0x20), Buffer.from('\r\n')]);
    const { result, maxRssMb } = await sampleRss(timeouts.pid, async () => {
      const connections = await rawConnectMany(timeouts.port, COUNT);
      const sentAtAnswer = new Map<RawConnection, number>();
      for (const connection of connections) {
        connection.write(
          `POST /debugbundle/browser HTTP/1.1\r\nHost: 127.0.0.1:${timeouts.port}\r\nOrigin: ${ORIGIN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
        );
      }
      let tick = 0;
      const pump = setInterval(() => {
        tick++;
        for (const connection of connections) {
          if (sentAtAnswer.has(connection)) {
            // Still sending after the 413: the relay discards the rest, but only until the request timeout.
            if (tick % 10 === 0) connection.write(chunk);
            continue;
          }
          if (parseResponse(connection.received()) !== undefined) sentAtAnswer.set(connection, connection.bytesSent);
          // The terminating chunk is never sent: any answer comes before the client finished.
          else if (connection.bytesSent < GIVE_UP_BYTES) connection.write(chunk);
        }
      }, 5);
      await waitFor(() => sentAtAnswer.size === COUNT, 10_000);
      await waitFor(() => connections.every((connection) => connection.closedAt !== undefined), REQUEST_TIMEOUT_MS + 5000);
      clearInterval(pump);
      const answers = connections.map((connection) => parseResponse(connection.received()));
      const seen = closures(connections);
      for (const connection of connections) connection.destroy();
      return { answers, sent: [...sentAtAnswer.values()], seen };
    });
    const statuses = result.answers.map((answer) => answer?.status);
    expect(statuses.every((status) => status === 413), `statuses: ${statuses.join(', ')}`).toBe(true);
    expect(result.answers.every((answer) => answer?.code === 'payload_too_large')).toBe(true);
    expect(result.sent).toHaveLength(COUNT);
    expect(Math.max(...result.sent), 'the most body bytes a client had sent when its 413 arrived').toBeLessThan(GIVE_UP_BYTES);
    expect(result.seen.open, 'connections still streaming a body after their 413 and still open').toBe(0);
    expect(result.seen.byUs).toBe(0);
    expect(Math.max(...result.seen.lifetimes), 'an endless body after the 413 is cut at the request timeout').toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
    await expectStillServing(
      timeouts,
      'chunked over the cap',
      `${COUNT} parallel chunked bodies, 413 payload_too_large after ${Math.min(...result.sent)}–${Math.max(...result.sent)} bytes sent, none finished; still streaming, closed after ${Math.min(...result.seen.lifetimes)}–${Math.max(...result.seen.lifetimes)} ms`,
      maxRssMb,
    );
  });
});

describe('gzip bomb', () => {
  it('browser route: refuses Content-Encoding: gzip with 415 unsupported_media_type without inflating', async () => {
    const { body, member, inflatedBytes } = gzipBomb(32);
    expect(gunzipSync(member).length, 'one member inflates to 64 MB').toBe(64 * 1024 * 1024);
    expect(body.length, 'the bomb is under maxBodyBytes, so only the encoding rule can refuse it').toBeLessThan(BOMB_MAX_BODY_BYTES);
    const cpuBefore = bomb.cpu();
    const { result: answers, maxRssMb } = await sampleRss(bomb.pid, () =>
      Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          send(bomb.url, {
            headers: { origin: ORIGIN, 'content-type': 'application/json', 'content-encoding': 'gzip' },
            body,
            chunked: index % 2 === 1,
          }),
        ),
      ),
    );
    const cpu = bomb.cpu() - cpuBefore;
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(415));
    expect(answers.every((answer) => answer.code === 'unsupported_media_type'), answers[0]?.body).toBe(true);
    // Inflating 8 × 2 GB would take tens of CPU seconds; reading and discarding 8 × 2 MB takes a fraction of one.
    expect(cpu, 'CPU seconds the relay spent on the bombs').toBeLessThan(3);
    await expectStillServing(
      bomb,
      'gzip bomb (browser route)',
      `8 bombs of ${(body.length / 1024 / 1024).toFixed(1)} MB inflating to ${inflatedBytes / 1024 ** 3} GB each (4 with Content-Length, 4 chunked): 415 unsupported_media_type, ${cpu.toFixed(2)} CPU s`,
      maxRssMb,
    );
  });
});

describe('gzip bomb on the Sentry tunnel', () => {
  it('inflates only up to maxEnvelopeBytes and answers 413, memory bounded by the cap per request', async () => {
    // One gzip member, as browsers' CompressionStream writes: the tunnel decodes with the Web
    // DecompressionStream, which refuses multi-member gzip (400 encoding_invalid, see the core README).
    const header = Buffer.from(`{"dsn":"${tunnelDsn()}"}\n{"type":"attachment"}\n`);
    const inflatedBytes = 256 * 1024 * 1024;
    const body = gzipSync(Buffer.concat([header, Buffer.alloc(inflatedBytes - header.length)]), { level: 9 });
    const tunnelUrl = bomb.url.replace('/debugbundle/browser', '/postern/tunnel');
    const before = upstream.requests.length;
    const cpuBefore = bomb.cpu();
    const { result: answers, maxRssMb } = await sampleRss(bomb.pid, () =>
      Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          send(tunnelUrl, { headers: { origin: ORIGIN, 'content-type': 'text/plain;charset=UTF-8', 'content-encoding': 'gzip' }, body, chunked: index % 2 === 1 }),
        ),
      ),
    );
    const cpu = bomb.cpu() - cpuBefore;
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(413));
    expect(answers.every((answer) => answer.code === 'payload_too_large'), answers[0]?.body).toBe(true);
    expect(upstream.requests.length, 'nothing of a bomb went upstream').toBe(before);
    // Inflating all of it would take seconds of CPU; stopping at 1 MiB each takes a fraction of one.
    expect(cpu, 'CPU seconds the relay spent on the bombs').toBeLessThan(3);
    await expectStillServing(
      bomb,
      'gzip bomb (tunnel route)',
      `8 bombs of ${(body.length / 1024).toFixed(0)} KB inflating to ${inflatedBytes / 1024 ** 2} MB each (4 with Content-Length, 4 chunked): 413 payload_too_large at ${TUNNEL_MAX_ENVELOPE_BYTES / 1024 / 1024} MiB inflated, ${cpu.toFixed(2)} CPU s`,
      maxRssMb,
    );
  });
});

describe('thousands of connections', () => {
  it('keeps answering valid batches while thousands of idle connections are held, and releases them', async () => {
    // 3000, or as many as both processes' open-file limits leave room for (each end of a connection is a descriptor here).
    const limit = Math.min(openFilesLimit('self'), openFilesLimit(flood.pid));
    const COUNT = Math.min(3000, Math.floor((limit - 300) / 6) * 6);
    expect(COUNT, `open-file limit ${limit}: raise it (ulimit -n) to run the connection flood`).toBeGreaterThanOrEqual(600);
    const fdsBefore = flood.fds();
    const { result, maxRssMb } = await sampleRss(flood.pid, async () => {
      const connections = await rawConnectMany(flood.port, COUNT);
      // One in six is a keep-alive connection that has had an answer and now idles; the rest never sent a byte.
      const keepAlive = connections.filter((_, index) => index % 6 === 0);
      const keepAliveSet = new Set(keepAlive);
      for (const connection of keepAlive) connection.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${flood.port}\r\nConnection: keep-alive\r\n\r\n`);
      await waitFor(() => keepAlive.every((connection) => parseResponse(connection.received()) !== undefined), 10_000);
      const keepAliveStatuses = keepAlive.map((connection) => parseResponse(connection.received())?.status);
      const held = await waitFor(() => flood.fds() >= fdsBefore + COUNT, 10_000);
      const heldFds = flood.fds() - fdsBefore;
      const answers: Answer[] = [];
      const started = Date.now();
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          for (let i = 0; i < 20; i++) answers.push(await sendValid(flood.url, 'flood'));
        }),
      );
      const validMs = Date.now() - started;
      // Idle connections that never sent a byte are held until headersTimeoutMs (20 s here); keep-alive ones
      // after an answer until Node's keepAliveTimeout (5 s), which a slow run may reach: only then may they close.
      const stillOpen = connections.filter((connection) => connection.closedAt === undefined || keepAliveSet.has(connection)).length;
      const keepAliveClosedEarly = keepAlive.filter((connection) => connection.closedAt !== undefined && connection.closedAt - connection.openedAt < 5000).length;
      for (const connection of connections) connection.destroy();
      return { keepAliveStatuses, held, heldFds, answers, validMs, stillOpen, keepAliveClosedEarly };
    });
    const released = await waitFor(() => flood.fds() <= fdsBefore + 2, 10_000);
    expect(result.keepAliveStatuses.every((status) => status === 200), 'keep-alive /healthz answers').toBe(true);
    expect(result.held, `the relay held only ${result.heldFds} of ${COUNT} connections`).toBe(true);
    expect(result.stillOpen, 'held connections the relay closed while they were counted').toBe(COUNT);
    expect(result.keepAliveClosedEarly, 'keep-alive connections closed before the keep-alive timeout').toBe(0);
    const statuses = result.answers.map((answer) => answer.status);
    expect(statuses.every((status) => status === 202), `statuses: ${[...new Set(statuses)].join(', ')}`).toBe(true);
    expect(statuses).toHaveLength(200);
    expect(released, `the relay still holds ${flood.fds() - fdsBefore} more descriptors than before`).toBe(true);
    await expectStillServing(
      flood,
      'connection flood',
      `${COUNT} connections held (${result.heldFds} descriptors in the relay, ${COUNT / 6} keep-alive after a /healthz), 200 valid batches among them all 202 in ${result.validMs} ms, descriptors released afterwards`,
      maxRssMb,
      undefined,
      FLOOD_RSS_BOUND_MB,
    );
  });
});

describe('spoofed proxy headers without a trusted proxy', () => {
  it('keys the rate limit on the socket address: rotating X-Forwarded-For (and friends) do not escape it, and never reach the upstream', async () => {
    const spoofed: string[] = [];
    const answers: Array<Answer & { id: string }> = [];
    for (let i = 1; i <= PROXY_RATE_LIMIT + 3; i++) {
      const address = `198.51.100.${i}`;
      spoofed.push(address, `203.0.113.${i}`);
      const { id, body } = validBatch('xff');
      const answer = await send(proxy.url, {
        localAddress: '127.0.0.1',
        headers: {
          origin: `http://127.0.0.1:${proxy.port}`,
          'content-type': 'application/json',
          'x-forwarded-for': `${address}, 203.0.113.${i}`,
          'x-real-ip': address,
          forwarded: `for=${address}`,
          'true-client-ip': address,
          'cf-connecting-ip': address,
        },
        body,
      });
      answers.push({ ...answer, id });
    }
    const statuses = answers.map((answer) => answer.status);
    expect(statuses, answers.map((answer) => answer.body).join('\n')).toEqual([...Array(PROXY_RATE_LIMIT).fill(202), 429, 429, 429]);
    expect(answers.slice(PROXY_RATE_LIMIT).every((answer) => answer.code === 'rate_limited' && Number(answer.headers['retry-after']) >= 1)).toBe(true);
    expect(answers.map((answer) => answer.headers['ratelimit-remaining'])).toEqual(['4', '3', '2', '1', '0', '0', '0', '0']);
    // Another socket address is another client: the limit is per client, not global.
    const other = await sendValid(proxy.url, 'xff-other', `http://127.0.0.1:${proxy.port}`, '127.0.0.2');
    expect(other.status, other.body).toBe(202);

    const forwarded = upstream.requests.filter((request) => answers.some((answer) => request.body.includes(answer.id)));
    expect(forwarded, 'one upstream POST per accepted batch, none for the rate-limited ones').toHaveLength(PROXY_RATE_LIMIT);
    for (const answer of answers.slice(PROXY_RATE_LIMIT)) expect(delivered(answer.id)).toBe(false);
    for (const request of forwarded) {
      // The client address rule (R-CLIENT-1): the claim is not believed, so it is not passed on either. The
      // browser protocol sends no client address upstream; if it ever does, it must be the socket peer.
      expect(request.headers['x-forwarded-for'] ?? '127.0.0.1', 'X-Forwarded-For at the upstream').toBe('127.0.0.1');
      for (const header of ['x-real-ip', 'forwarded', 'true-client-ip', 'cf-connecting-ip']) expect(request.headers[header], header).toBeUndefined();
      const leaked = spoofed.filter((address) => request.body.includes(address) || JSON.stringify(request.headers).includes(address));
      expect(leaked, 'spoofed addresses in what the upstream received').toEqual([]);
    }
    await expectStillServing(proxy, 'spoofed X-Forwarded-For', `${PROXY_RATE_LIMIT} rotating spoofed addresses answered 202, then 429 rate_limited; 127.0.0.2 still 202`, undefined, {
      origin: `http://127.0.0.1:${proxy.port}`,
      localAddress: '127.0.0.4',
    });
  });

  it('checks the same origin against Host, not a spoofed X-Forwarded-Host', async () => {
    const from = '127.0.0.3'; // a fresh socket address, so the rate limit of the test above is not in the way
    const spoof = await send(proxy.url, {
      localAddress: from,
      headers: { origin: 'https://evil.test', 'x-forwarded-host': 'evil.test', 'x-forwarded-proto': 'https', 'content-type': 'application/json' },
      body: validBatch('xfh').body,
    });
    const spoofWithPort = await send(proxy.url, {
      localAddress: from,
      headers: { origin: `http://evil.test:${proxy.port}`, 'x-forwarded-host': `evil.test:${proxy.port}`, 'content-type': 'application/json' },
      body: validBatch('xfh').body,
    });
    for (const answer of [spoof, spoofWithPort]) {
      expect(answer.status, answer.body).toBe(403);
      expect(answer.code).toBe('origin_not_allowed');
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    }
    // The header is ignored, not a reason to refuse: the real same-origin request still passes with it.
    const control = await send(proxy.url, {
      localAddress: from,
      headers: { origin: `http://127.0.0.1:${proxy.port}`, 'x-forwarded-host': 'evil.test', 'content-type': 'application/json' },
      body: validBatch('xfh-control').body,
    });
    expect(control.status, control.body).toBe(202);
    await expectStillServing(proxy, 'spoofed X-Forwarded-Host', 'Origin = the spoofed host: 403 origin_not_allowed; real same origin with the header: 202', undefined, {
      origin: `http://127.0.0.1:${proxy.port}`,
      localAddress: '127.0.0.5',
    });
  });
});

describe('origin tricks against allowedOrigins: [https://app.example]', () => {
  const cases: Array<[string, Record<string, string>, 202 | 403]> = [
    ['Origin: null', { origin: 'null' }, 403], // R-ORIGIN-4
    ['the default port spelled out', { origin: 'https://app.example:443' }, 202], // R-ORIGIN-4
    ['scheme and host in upper case', { origin: 'HTTPS://APP.EXAMPLE' }, 202], // R-ORIGIN-4: compared without regard to case
    ['a trailing dot on the host', { origin: 'https://app.example.' }, 403], // R-ORIGIN-4: another host (URL parsing keeps the dot; browsers treat it as another origin)
    ['the allowed host as a subdomain of another', { origin: 'https://app.example.evil.test' }, 403],
    ['the allowed host in a fragment', { origin: 'https://evil.test#app.example' }, 403],
    ['http instead of https', { origin: 'http://app.example' }, 403],
    ['another port', { origin: 'https://app.example:8443' }, 403],
    ['two origins in one header', { origin: 'https://evil.test, https://app.example' }, 403],
    ['Origin refused even with an allowed Referer', { origin: 'https://evil.test', referer: 'https://app.example/page' }, 403], // R-ORIGIN-1: Origin first
    ['Referer with userinfo and the allowed host in the path', { referer: 'https://user:pass@evil.test/@app.example/' }, 403],
    ['Referer with the allowed host as userinfo', { referer: 'https://app.example@evil.test/' }, 403],
    ['Referer with userinfo on the allowed host', { referer: 'https://user:pass@app.example/page' }, 202], // R-ORIGIN-1: the origin (scheme, host, port) of the Referer
  ];

  it.each(cases)('%s → %s', async (_name, claim, expected) => {
    const { id, body } = validBatch('origin');
    const answer = await send(origins.url, { headers: { ...claim, 'content-type': 'application/json' }, body });
    expect(answer.status, answer.body).toBe(expected);
    if (expected === 403) {
      expect(answer.code).toBe('origin_not_allowed');
      expect(answer.headers['access-control-allow-origin'], 'a refused origin gets no Access-Control-Allow-Origin').toBeUndefined();
      expect(delivered(id)).toBe(false);
    } else {
      expect(delivered(id)).toBe(true);
      if (claim.origin !== undefined) expect(answer.headers['access-control-allow-origin']).toBe(claim.origin);
    }
  });

  it('stays within its memory bound and keeps serving', async () => {
    await expectStillServing(origins, 'origin tricks', `${cases.length} origin and Referer tricks answered as the contract says`);
  });
});
