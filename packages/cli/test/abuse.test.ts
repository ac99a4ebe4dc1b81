import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  abuseConfig,
  gzipBomb,
  openFilesLimit,
  parseResponse,
  rawConnectMany,
  sampleRss,
  send,
  sendValid,
  startRelay,
  validBatch,
  waitFor,
  tunnelBomb,
  validEnvelope,
  type Answer,
  type RawConnection,
  type Relay,
} from './abuse-helpers.js';
import { ConfigError, loadConfig } from '../src/config.js';
import {
  type ReceivedRequest,
  type RecordingUpstream,
  sampleEvent,
  startUpstream,
} from '@postern/conformance';
import { SENTRY_REPLY } from '../../node/test/tunnel-helpers.js';
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
  upstream = await startUpstream();
  [timeouts, bomb, flood, proxy, origins] = await Promise.all([
    startRelay(
      abuseConfig(endpoint(), {
        allowedOrigins: [ORIGIN],
        headersTimeoutMs: HEADERS_TIMEOUT_MS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        maxBodyBytes: MAX_BODY_BYTES,
      }),
    ),
    startRelay(
      abuseConfig(endpoint(), {
        allowedOrigins: [ORIGIN],
        maxBodyBytes: BOMB_MAX_BODY_BYTES,
        tunnel: { dsns: [tunnelDsn()], maxEnvelopeBytes: TUNNEL_MAX_ENVELOPE_BYTES },
      }),
    ),
    startRelay(
      abuseConfig(endpoint(), {
        allowedOrigins: [ORIGIN],
        headersTimeoutMs: 20_000,
        requestTimeoutMs: 30_000,
      }),
    ),
    startRelay(
      abuseConfig(endpoint(), { rateLimit: { limit: PROXY_RATE_LIMIT, windowMs: 60_000 } }),
    ),
    startRelay(abuseConfig(endpoint(), { allowedOrigins: [ORIGIN] })),
  ]);
});

afterAll(async () => {
  await Promise.all(
    [timeouts, bomb, flood, proxy, origins]
      .filter((relay) => relay !== undefined)
      .map((relay) => relay.stop()),
  );
  await upstream?.close();
});

/** The relays' endpoint: the recording upstream, which answers 202. */
function endpoint(): string {
  return `${upstream.url}/v1/events`;
}

/** The tunnel's DSN names the recording upstream, so an envelope that got through would show up there. */
function tunnelDsn(): string {
  return upstream.dsn('42', '0123456789abcdef');
}

function delivered(id: string): boolean {
  return upstream.received.some((request) => request.body.includes(id));
}

/** The first line of an envelope the upstream received: its header, which names its event_id. */
function envelopeHeader(request: ReceivedRequest): string {
  return request.raw.toString('latin1').split('\n')[0] ?? '';
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
  console.log(
    `abuse: ${attack}: ${detail}; relay RSS ${memory.rssMb} MB now${maxRssMb !== undefined ? `, ${maxRssMb} MB at most while attacked` : ''}, peak since start ${memory.peakMb} MB (bound ${boundMb} MB)`,
  );
  expect(memory.peakMb, `peak RSS of the relay (VmHWM) after ${attack}`).toBeLessThan(boundMb);
  const answer = await sendValid(
    relay.url,
    `after-${attack.replace(/\W+/g, '-')}`,
    from?.origin,
    from?.localAddress,
  );
  expect(answer.status, `a valid batch after ${attack}: ${answer.body}\n${relay.output()}`).toBe(
    202,
  );
  expect(delivered(answer.id), 'the valid batch reached the upstream').toBe(true);
}

/** Which connections the server closed (not the test), how long each lived, and what each was answered. */
function closures(connections: RawConnection[]): {
  open: number;
  byUs: number;
  lifetimes: number[];
  statuses: Array<number | undefined>;
} {
  return {
    open: connections.filter((connection) => connection.closedAt === undefined).length,
    byUs: connections.filter((connection) => connection.closedByUs).length,
    lifetimes: connections.map(
      (connection) => (connection.closedAt ?? Number.POSITIVE_INFINITY) - connection.openedAt,
    ),
    statuses: connections.map((connection) => parseResponse(connection.received())?.status),
  };
}

describe('server timeouts configuration', () => {
  it('defaults to 10 s for headers and 30 s for a request, and refuses a headers timeout longer than the request timeout', async () => {
    const env = { POSTERN_PROJECT_TOKEN: 'tok' };
    const defaults = await loadConfig({ text: '{}', env });
    expect([defaults.headersTimeoutMs, defaults.requestTimeoutMs]).toEqual([10_000, 30_000]);
    const set = await loadConfig({
      text: 'headersTimeoutMs: 1500\nrequestTimeoutMs: 4000',
      env: { ...env, POSTERN_REQUEST_TIMEOUT_MS: '5000' },
    });
    expect([set.headersTimeoutMs, set.requestTimeoutMs]).toEqual([1500, 5000]);
    const problems = async (text: string): Promise<string[]> =>
      loadConfig({ text, textSource: 'postern.yaml', env }).then(
        () => [],
        (error: unknown) => (error instanceof ConfigError ? error.problems : [String(error)]),
      );
    expect(await problems('headersTimeoutMs: 40000')).toEqual([
      expect.stringMatching(/^headersTimeoutMs: must not be more than requestTimeoutMs \(30000\)/),
    ]);
    expect(await problems('requestTimeoutMs: 0')).toEqual([
      expect.stringMatching(/requestTimeoutMs: must be at least 1/),
    ]);
    expect(await problems('headersTimeoutMs: "10s"')).toEqual([
      expect.stringMatching(/headersTimeoutMs: must be a whole number/),
    ]);
  });
});

describe('slowloris', () => {
  it(`closes 200 connections that trickle header lines and never finish: 408 after headersTimeoutMs (${HEADERS_TIMEOUT_MS} ms)`, async () => {
    const COUNT = 200;
    const fdsBefore = timeouts.fds();
    const { result: connections, maxRssMb } = await sampleRss(timeouts.pid, async () => {
      const connections = await rawConnectMany(timeouts.port, COUNT);
      for (const connection of connections)
        connection.write(
          `POST /debugbundle/browser HTTP/1.1\r\nHost: 127.0.0.1:${timeouts.port}\r\nOrigin: ${ORIGIN}\r\n`,
        );
      let line = 0;
      const drip = setInterval(() => {
        line++;
        for (const connection of connections)
          if (connection.closedAt === undefined)
            connection.write(`X-Drip-${line}: ${'a'.repeat(16)}\r\n`);
      }, 100);
      await waitFor(
        () => connections.every((connection) => connection.closedAt !== undefined),
        HEADERS_TIMEOUT_MS + 8000,
      );
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
    expect(
      seen.statuses.every((status) => status === 408),
      `statuses: ${[...new Set(seen.statuses)].join(', ')}`,
    ).toBe(true);
    expect(
      released,
      `the relay still holds ${timeouts.fds() - fdsBefore} more descriptors than before`,
    ).toBe(true);
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
        for (const connection of connections)
          if (connection.closedAt === undefined) connection.write(byte);
      }, 100);
      await waitFor(
        () => connections.every((connection) => connection.closedAt !== undefined),
        REQUEST_TIMEOUT_MS + 8000,
      );
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
    expect(
      seen.statuses.every((status) => status === 408),
      `statuses: ${[...new Set(seen.statuses)].join(', ')}`,
    ).toBe(true);
    expect(
      released,
      `the relay still holds ${timeouts.fds() - fdsBefore} more descriptors than before`,
    ).toBe(true);
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
    const chunk = Buffer.concat([
      Buffer.from(`${CHUNK.toString(16)}\r\n`),
      Buffer.alloc(CHUNK, 0x20),
      Buffer.from('\r\n'),
    ]);
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
          if (parseResponse(connection.received()) !== undefined)
            sentAtAnswer.set(connection, connection.bytesSent);
          // The terminating chunk is never sent: any answer comes before the client finished.
          else if (connection.bytesSent < GIVE_UP_BYTES) connection.write(chunk);
        }
      }, 5);
      await waitFor(() => sentAtAnswer.size === COUNT, 10_000);
      await waitFor(
        () => connections.every((connection) => connection.closedAt !== undefined),
        REQUEST_TIMEOUT_MS + 5000,
      );
      clearInterval(pump);
      const answers = connections.map((connection) => parseResponse(connection.received()));
      const seen = closures(connections);
      for (const connection of connections) connection.destroy();
      return { answers, sent: [...sentAtAnswer.values()], seen };
    });
    const statuses = result.answers.map((answer) => answer?.status);
    expect(
      statuses.every((status) => status === 413),
      `statuses: ${statuses.join(', ')}`,
    ).toBe(true);
    expect(result.answers.every((answer) => answer?.code === 'payload_too_large')).toBe(true);
    expect(result.sent).toHaveLength(COUNT);
    expect(
      Math.max(...result.sent),
      'the most body bytes a client had sent when its 413 arrived',
    ).toBeLessThan(GIVE_UP_BYTES);
    expect(
      result.seen.open,
      'connections still streaming a body after their 413 and still open',
    ).toBe(0);
    expect(result.seen.byUs).toBe(0);
    expect(
      Math.max(...result.seen.lifetimes),
      'an endless body after the 413 is cut at the request timeout',
    ).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
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
    expect(
      body.length,
      'the bomb is under maxBodyBytes, so only the encoding rule can refuse it',
    ).toBeLessThan(BOMB_MAX_BODY_BYTES);
    const cpuBefore = bomb.cpu();
    const { result: answers, maxRssMb } = await sampleRss(bomb.pid, () =>
      Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          send(bomb.url, {
            headers: {
              origin: ORIGIN,
              'content-type': 'application/json',
              'content-encoding': 'gzip',
            },
            body,
            chunked: index % 2 === 1,
          }),
        ),
      ),
    );
    const cpu = bomb.cpu() - cpuBefore;
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(415));
    expect(
      answers.every((answer) => answer.code === 'unsupported_media_type'),
      answers[0]?.body,
    ).toBe(true);
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
    const body = gzipSync(Buffer.concat([header, Buffer.alloc(inflatedBytes - header.length)]), {
      level: 9,
    });
    const tunnelUrl = bomb.url.replace('/debugbundle/browser', '/postern/tunnel');
    const before = upstream.received.length;
    const cpuBefore = bomb.cpu();
    const { result: answers, maxRssMb } = await sampleRss(bomb.pid, () =>
      Promise.all(
        Array.from({ length: 8 }, (_, index) =>
          send(tunnelUrl, {
            headers: {
              origin: ORIGIN,
              'content-type': 'text/plain;charset=UTF-8',
              'content-encoding': 'gzip',
            },
            body,
            chunked: index % 2 === 1,
          }),
        ),
      ),
    );
    const cpu = bomb.cpu() - cpuBefore;
    expect(answers.map((answer) => answer.status)).toEqual(Array(8).fill(413));
    expect(
      answers.every((answer) => answer.code === 'payload_too_large'),
      answers[0]?.body,
    ).toBe(true);
    expect(upstream.received.length, 'nothing of a bomb went upstream').toBe(before);
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

describe('decompression amplification on the Sentry tunnel (defaults: 20 MiB envelopes, 64 MiB in flight, 20 MiB per client, ratio 100)', () => {
  /**
   * Before the in-flight budget, 30 concurrent 20 KB bombs inflating to just under maxEnvelopeBytes took a
   * relay from ~80 MB to ~1.35 GB (and ~42 MB more per further bomb) and sent 600 MB upstream. Now the bytes
   * all requests hold are bounded by maxDecodedBytesInFlight (64 MiB), whatever the number of requests, and
   * RSS by the baseline (~80 MB) plus a few times that: what refused requests had decoded waits for the
   * garbage collector, and a completed envelope is copied into one buffer. Measured: 250–330 MB for these
   * attacks, ~360 MB for 200 concurrent bombs from 16 clients. The bound is the baseline plus 5 × 64 MiB.
   */
  const AMPLIFICATION_RSS_BOUND_MB = 400;
  const MAX_ENVELOPE_BYTES = 20 * 1024 * 1024;
  let sentry: RecordingUpstream;
  let relay: Relay;
  let tunnelUrl: string;
  let dsn: string;

  beforeAll(async () => {
    // Sentry's answer. Only the head of each body is kept (its size is still counted), so that
    // 20 MiB bodies do not pile up here.
    sentry = await startUpstream({ reply: SENTRY_REPLY, keepBytes: 4096 });
    dsn = sentry.dsn('42', '0123456789abcdef');
    // Only keys the tunnel had before the budget: the same relay runs (and this test fails) on the code without it.
    relay = await startRelay(
      abuseConfig(endpoint(), { allowedOrigins: [ORIGIN], tunnel: { dsns: [dsn] } }),
    );
    tunnelUrl = relay.url.replace('/debugbundle/browser', '/postern/tunnel');
  });

  afterAll(async () => {
    await relay?.stop();
    await sentry?.close();
  });

  const headers = (length?: number): Record<string, string> => ({
    origin: ORIGIN,
    'content-type': 'text/plain;charset=UTF-8',
    'content-encoding': 'gzip',
    ...(length === undefined ? {} : { 'content-length': String(length) }),
  });

  function tally(answers: Answer[]): string {
    const counts = new Map<string, number>();
    for (const answer of answers)
      counts.set(
        `${answer.status} ${answer.code ?? ''}`.trim(),
        (counts.get(`${answer.status} ${answer.code ?? ''}`.trim()) ?? 0) + 1,
      );
    return [...counts].map(([key, count]) => `${count}× ${key}`).join(', ');
  }

  it('takes the budget options under tunnel:, and names the key of a value the tunnel could never work with', async () => {
    const env = { POSTERN_PROJECT_TOKEN: 'tok' };
    const tunnelText = (extra: string): string =>
      `tunnel:\n  dsns: [https://k@o1.ingest.sentry.io/1]\n${extra}`;
    const set = await loadConfig({
      text: tunnelText(
        '  maxDecodedBytesInFlight: 134217728\n  maxDecodedBytesPerClient: 33554432\n  maxCompressionRatio: 50\n',
      ),
      env,
    });
    expect([
      set.tunnel?.maxDecodedBytesInFlight,
      set.tunnel?.maxDecodedBytesPerClient,
      set.tunnel?.maxCompressionRatio,
    ]).toEqual([134_217_728, 33_554_432, 50]);
    const problems = async (extra: string): Promise<string[]> =>
      loadConfig({ text: tunnelText(extra), textSource: 'postern.yaml', env }).then(
        () => [],
        (error: unknown) => (error instanceof ConfigError ? error.problems : [String(error)]),
      );
    expect(await problems('  maxDecodedBytesInFlight: "64MB"\n')).toEqual([
      expect.stringMatching(/tunnel\.maxDecodedBytesInFlight: must be a whole number/),
    ]);
    expect(await problems('  maxCompressionRatio: -1\n')).toEqual([
      expect.stringMatching(/tunnel\.maxCompressionRatio: must be at least 0/),
    ]);
    expect(await problems('  maxDecodedBytesInFlight: 1048576\n')).toEqual([
      expect.stringMatching(
        /tunnel\.maxDecodedBytesInFlight must be at least maxEnvelopeBytes \(20971520\)/,
      ),
    ]);
    expect(await problems('  maxDecodedBytesPerClient: 1048576\n')).toEqual([
      expect.stringMatching(/tunnel\.maxDecodedBytesPerClient must be between maxEnvelopeBytes/),
    ]);
  });

  it('bounds memory under 32 concurrent bombs just under the cap from two clients, refusing most with 503 capacity_exceeded, while a third client gets through', async () => {
    const classic = tunnelBomb(dsn, MAX_ENVELOPE_BYTES - 1, 'bomb');
    const modest = tunnelBomb(dsn, MAX_ENVELOPE_BYTES - 1, 'modest');
    expect(classic.ratio, 'the classic bomb: ~20 KB inflating to 20 MiB').toBeGreaterThan(500);
    expect(
      modest.ratio,
      'the modest bomb passes the ratio check, so only the budget can stop it',
    ).toBeGreaterThan(20);
    expect(modest.ratio).toBeLessThan(100);
    const before = relay.memory();
    const forwardedBefore = sentry.received.length;
    const legit: Array<Answer & { id: string; at: number }> = [];
    let attackDone = 0;
    const { result: bombs, maxRssMb } = await sampleRss(relay.pid, async () => {
      // 24 modest bombs (12 with Content-Length, 12 chunked) and 8 classic ones, from 127.0.0.2 and 127.0.0.3.
      const attack = Promise.all(
        Array.from({ length: 32 }, (_, index) => {
          const bomb = index < 24 ? modest : classic;
          const chunked = index < 24 && index % 2 === 1;
          return send(tunnelUrl, {
            headers: headers(chunked ? undefined : bomb.body.length),
            body: bomb.body,
            chunked,
            localAddress: `127.0.0.${2 + (index % 2)}`,
            timeoutMs: 20_000,
          });
        }),
      ).finally(() => {
        attackDone = Date.now();
      });
      // Meanwhile another client sends valid envelopes, one after another, until the attack is over.
      const legitimate = (async () => {
        while (attackDone === 0 || legit.length < 3) {
          const { id, body } = validEnvelope(dsn);
          const answer = await send(tunnelUrl, {
            headers: { origin: ORIGIN, 'content-type': 'text/plain;charset=UTF-8' },
            body,
            localAddress: '127.0.0.9',
          });
          legit.push({ ...answer, id, at: Date.now() });
        }
      })();
      const [answers] = await Promise.all([attack, legitimate]);
      return answers;
    });
    const after = relay.memory();
    const forwarded = sentry.received.slice(forwardedBefore);
    const bombsForwarded = forwarded.filter(
      (request) => request.bodyBytes >= MAX_ENVELOPE_BYTES - 1,
    );
    console.log(
      `abuse: tunnel amplification, two clients: 24 bombs of ${(modest.body.length / 1024).toFixed(0)} KB (ratio ${modest.ratio.toFixed(0)}) and 8 of ${(classic.body.length / 1024).toFixed(0)} KB (ratio ${classic.ratio.toFixed(0)}), each inflating to 20 MiB: ${tally(bombs)}; ` +
        `${bombsForwarded.length} forwarded (${((bombsForwarded.length * MAX_ENVELOPE_BYTES) / 1024 / 1024).toFixed(0)} MiB upstream); ${legit.length} valid envelopes from a third client meanwhile: ${tally(legit)}; ` +
        `relay RSS ${before.rssMb} MB before, ${maxRssMb} MB at most while attacked, ${after.rssMb} MB after, peak since start ${after.peakMb} MB (bound ${AMPLIFICATION_RSS_BOUND_MB} MB)`,
    );
    expect(relay.alive(), `the relay died:\n${relay.output()}`).toBe(true);
    const refused = bombs.filter((answer) => answer.status === 503);
    expect(refused.length, `some bombs refused with 503 (${tally(bombs)})`).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(answer.code).toBe('capacity_exceeded');
      expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    expect(
      bombs.every((answer) => [200, 413, 503].includes(answer.status)),
      `never a 500: ${tally(bombs)}`,
    ).toBe(true);
    // The classic bombs declare their length, so their ratio is known at once: 413 as soon as their output
    // passes 100 times it (or 503 when their client's share is already spent), never forwarded.
    const classicAnswers = bombs.slice(24).map((answer) => `${answer.status} ${answer.code}`);
    expect(
      classicAnswers.every(
        (answer) => answer === '413 payload_too_large' || answer === '503 capacity_exceeded',
      ),
      classicAnswers.join(', '),
    ).toBe(true);
    expect(classicAnswers).toContain('413 payload_too_large');
    // Each client holds at most 20 MiB, so at most one of its bombs at a time: far fewer than 24 went upstream.
    expect(bombsForwarded.length).toBeLessThan(12);
    expect(maxRssMb, 'RSS sampled while attacked').toBeLessThan(AMPLIFICATION_RSS_BOUND_MB);
    expect(after.peakMb, 'peak RSS of the relay (VmHWM)').toBeLessThan(AMPLIFICATION_RSS_BOUND_MB);
    expect(
      legit.filter((answer) => answer.at < attackDone).length,
      'valid envelopes answered while the bombs were in flight',
    ).toBeGreaterThan(0);
    expect(
      legit.every((answer) => answer.status === 200),
      `valid envelopes from another client: ${tally(legit)}`,
    ).toBe(true);
    for (const answer of legit)
      expect(
        forwarded.some((request) => envelopeHeader(request).includes(answer.id)),
        'the valid envelope reached the upstream',
      ).toBe(true);
  });

  it('holds the whole budget when eight clients bomb at once, and gives it all back afterwards', async () => {
    const modest = tunnelBomb(dsn, MAX_ENVELOPE_BYTES - 1, 'modest');
    const { result: bombs, maxRssMb } = await sampleRss(relay.pid, () =>
      Promise.all(
        Array.from({ length: 24 }, (_, index) =>
          send(tunnelUrl, {
            headers: headers(index % 2 === 0 ? modest.body.length : undefined),
            body: modest.body,
            chunked: index % 2 === 1,
            localAddress: `127.0.1.${1 + (index % 8)}`,
            timeoutMs: 20_000,
          }),
        ),
      ),
    );
    const after = relay.memory();
    // Three envelopes of just under 20 MiB at once, from three fresh clients: 60 of the 64 MiB. They all pass
    // only if the bombs gave back what they held (a leak of more than 4 MiB would refuse one).
    const plain = Buffer.concat([
      Buffer.from(`{"dsn":"${dsn}"}\n{"type":"attachment"}\n`),
      Buffer.alloc(MAX_ENVELOPE_BYTES - 100),
    ]);
    const probes = await Promise.all(
      [1, 2, 3].map((host) =>
        send(tunnelUrl, {
          headers: { origin: ORIGIN, 'content-type': 'text/plain;charset=UTF-8' },
          body: plain,
          localAddress: `127.0.2.${host}`,
          timeoutMs: 20_000,
        }),
      ),
    );
    console.log(
      `abuse: tunnel amplification, eight clients: 24 bombs of ${(modest.body.length / 1024).toFixed(0)} KB inflating to 20 MiB: ${tally(bombs)}; then 3 envelopes of 20 MiB at once: ${tally(probes)}; ` +
        `relay RSS ${maxRssMb} MB at most while attacked, ${after.rssMb} MB after, peak since start ${after.peakMb} MB (bound ${AMPLIFICATION_RSS_BOUND_MB} MB)`,
    );
    expect(relay.alive(), `the relay died:\n${relay.output()}`).toBe(true);
    expect(
      bombs.filter((answer) => answer.status === 503 && answer.code === 'capacity_exceeded').length,
      tally(bombs),
    ).toBeGreaterThan(0);
    expect(
      bombs.every((answer) => answer.status === 200 || answer.status === 503),
      `never a 500: ${tally(bombs)}`,
    ).toBe(true);
    expect(maxRssMb, 'RSS sampled while attacked').toBeLessThan(AMPLIFICATION_RSS_BOUND_MB);
    expect(after.peakMb, 'peak RSS of the relay (VmHWM)').toBeLessThan(AMPLIFICATION_RSS_BOUND_MB);
    expect(
      probes.map((answer) => answer.status),
      tally(probes),
    ).toEqual([200, 200, 200]);
  });
});

describe('thousands of connections', () => {
  it('keeps answering valid batches while thousands of idle connections are held, and releases them', async () => {
    // 3000, or as many as both processes' open-file limits leave room for (each end of a connection is a descriptor here).
    const limit = Math.min(openFilesLimit('self'), openFilesLimit(flood.pid));
    const COUNT = Math.min(3000, Math.floor((limit - 300) / 6) * 6);
    expect(
      COUNT,
      `open-file limit ${limit}: raise it (ulimit -n) to run the connection flood`,
    ).toBeGreaterThanOrEqual(600);
    const fdsBefore = flood.fds();
    const { result, maxRssMb } = await sampleRss(flood.pid, async () => {
      const connections = await rawConnectMany(flood.port, COUNT);
      // One in six is a keep-alive connection that has had an answer and now idles; the rest never sent a byte.
      const keepAlive = connections.filter((_, index) => index % 6 === 0);
      const keepAliveSet = new Set(keepAlive);
      for (const connection of keepAlive)
        connection.write(
          `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${flood.port}\r\nConnection: keep-alive\r\n\r\n`,
        );
      await waitFor(
        () => keepAlive.every((connection) => parseResponse(connection.received()) !== undefined),
        10_000,
      );
      const keepAliveStatuses = keepAlive.map(
        (connection) => parseResponse(connection.received())?.status,
      );
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
      const stillOpen = connections.filter(
        (connection) => connection.closedAt === undefined || keepAliveSet.has(connection),
      ).length;
      const keepAliveClosedEarly = keepAlive.filter(
        (connection) =>
          connection.closedAt !== undefined && connection.closedAt - connection.openedAt < 5000,
      ).length;
      for (const connection of connections) connection.destroy();
      return {
        keepAliveStatuses,
        held,
        heldFds,
        answers,
        validMs,
        stillOpen,
        keepAliveClosedEarly,
      };
    });
    const released = await waitFor(() => flood.fds() <= fdsBefore + 2, 10_000);
    expect(
      result.keepAliveStatuses.every((status) => status === 200),
      'keep-alive /healthz answers',
    ).toBe(true);
    expect(result.held, `the relay held only ${result.heldFds} of ${COUNT} connections`).toBe(true);
    expect(result.stillOpen, 'held connections the relay closed while they were counted').toBe(
      COUNT,
    );
    expect(
      result.keepAliveClosedEarly,
      'keep-alive connections closed before the keep-alive timeout',
    ).toBe(0);
    const statuses = result.answers.map((answer) => answer.status);
    expect(
      statuses.every((status) => status === 202),
      `statuses: ${[...new Set(statuses)].join(', ')}`,
    ).toBe(true);
    expect(statuses).toHaveLength(200);
    expect(
      released,
      `the relay still holds ${flood.fds() - fdsBefore} more descriptors than before`,
    ).toBe(true);
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
    expect(statuses, answers.map((answer) => answer.body).join('\n')).toEqual([
      ...Array(PROXY_RATE_LIMIT).fill(202),
      429,
      429,
      429,
    ]);
    expect(
      answers
        .slice(PROXY_RATE_LIMIT)
        .every(
          (answer) => answer.code === 'rate_limited' && Number(answer.headers['retry-after']) >= 1,
        ),
    ).toBe(true);
    expect(answers.map((answer) => answer.headers['ratelimit-remaining'])).toEqual([
      '4',
      '3',
      '2',
      '1',
      '0',
      '0',
      '0',
      '0',
    ]);
    // Another socket address is another client: the limit is per client, not global.
    const other = await sendValid(
      proxy.url,
      'xff-other',
      `http://127.0.0.1:${proxy.port}`,
      '127.0.0.2',
    );
    expect(other.status, other.body).toBe(202);

    const forwarded = upstream.received.filter((request) =>
      answers.some((answer) => request.body.includes(answer.id)),
    );
    expect(
      forwarded,
      'one upstream POST per accepted batch, none for the rate-limited ones',
    ).toHaveLength(PROXY_RATE_LIMIT);
    for (const answer of answers.slice(PROXY_RATE_LIMIT)) expect(delivered(answer.id)).toBe(false);
    for (const request of forwarded) {
      // The client address rule (R-CLIENT-1): the claim is not believed, so it is not passed on either. The
      // browser protocol sends no client address upstream; if it ever does, it must be the socket peer.
      expect(
        request.headers['x-forwarded-for'] ?? '127.0.0.1',
        'X-Forwarded-For at the upstream',
      ).toBe('127.0.0.1');
      for (const header of ['x-real-ip', 'forwarded', 'true-client-ip', 'cf-connecting-ip'])
        expect(request.headers[header], header).toBeUndefined();
      const leaked = spoofed.filter(
        (address) =>
          request.body.includes(address) || JSON.stringify(request.headers).includes(address),
      );
      expect(leaked, 'spoofed addresses in what the upstream received').toEqual([]);
    }
    await expectStillServing(
      proxy,
      'spoofed X-Forwarded-For',
      `${PROXY_RATE_LIMIT} rotating spoofed addresses answered 202, then 429 rate_limited; 127.0.0.2 still 202`,
      undefined,
      {
        origin: `http://127.0.0.1:${proxy.port}`,
        localAddress: '127.0.0.4',
      },
    );
  });

  it('checks the same origin against Host, not a spoofed X-Forwarded-Host', async () => {
    const from = '127.0.0.3'; // a fresh socket address, so the rate limit of the test above is not in the way
    const spoof = await send(proxy.url, {
      localAddress: from,
      headers: {
        origin: 'https://evil.test',
        'x-forwarded-host': 'evil.test',
        'x-forwarded-proto': 'https',
        'content-type': 'application/json',
      },
      body: validBatch('xfh').body,
    });
    const spoofWithPort = await send(proxy.url, {
      localAddress: from,
      headers: {
        origin: `http://evil.test:${proxy.port}`,
        'x-forwarded-host': `evil.test:${proxy.port}`,
        'content-type': 'application/json',
      },
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
      headers: {
        origin: `http://127.0.0.1:${proxy.port}`,
        'x-forwarded-host': 'evil.test',
        'content-type': 'application/json',
      },
      body: validBatch('xfh-control').body,
    });
    expect(control.status, control.body).toBe(202);
    await expectStillServing(
      proxy,
      'spoofed X-Forwarded-Host',
      'Origin = the spoofed host: 403 origin_not_allowed; real same origin with the header: 202',
      undefined,
      {
        origin: `http://127.0.0.1:${proxy.port}`,
        localAddress: '127.0.0.5',
      },
    );
  });
});

describe('origin tricks against allowedOrigins: [https://app.example]', () => {
  const cases: Array<[string, Record<string, string>, 202 | 403]> = [
    ['Origin: null', { origin: 'null' }, 403], // R-ORIGIN-4
    ['the default port spelled out', { origin: 'https://app.example:443' }, 202], // R-ORIGIN-4
    ['scheme and host in upper case', { origin: 'HTTPS://APP.EXAMPLE' }, 202], // R-ORIGIN-4: compared without regard to case
    ['a trailing dot on the host', { origin: 'https://app.example.' }, 403], // R-ORIGIN-4: another host (URL parsing keeps the dot; browsers treat it as another origin)
    [
      'the allowed host as a subdomain of another',
      { origin: 'https://app.example.evil.test' },
      403,
    ],
    ['the allowed host in a fragment', { origin: 'https://evil.test#app.example' }, 403],
    ['http instead of https', { origin: 'http://app.example' }, 403],
    ['another port', { origin: 'https://app.example:8443' }, 403],
    ['two origins in one header', { origin: 'https://evil.test, https://app.example' }, 403],
    ['the allowed origin with a path', { origin: 'https://app.example/' }, 403], // R-ORIGIN-8: not an origin
    ['the allowed origin with userinfo', { origin: 'https://user@app.example' }, 403], // R-ORIGIN-8
    ['the allowed origin behind a backslash', { origin: 'https://evil.test\\@app.example' }, 403], // R-ORIGIN-8
    [
      'Origin refused even with an allowed Referer',
      { origin: 'https://evil.test', referer: 'https://app.example/page' },
      403,
    ], // R-ORIGIN-1: Origin first
    [
      'Referer with userinfo and the allowed host in the path',
      { referer: 'https://user:pass@evil.test/@app.example/' },
      403,
    ],
    [
      'Referer with the allowed host as userinfo',
      { referer: 'https://app.example@evil.test/' },
      403,
    ],
    [
      'Referer with userinfo on the allowed host',
      { referer: 'https://user:pass@app.example/page' },
      202,
    ], // R-ORIGIN-1: the origin (scheme, host, port) of the Referer
  ];

  it.each(cases)('%s → %s', async (_name, claim, expected) => {
    const { id, body } = validBatch('origin');
    const answer = await send(origins.url, {
      headers: { ...claim, 'content-type': 'application/json' },
      body,
    });
    expect(answer.status, answer.body).toBe(expected);
    if (expected === 403) {
      expect(answer.code).toBe('origin_not_allowed');
      expect(
        answer.headers['access-control-allow-origin'],
        'a refused origin gets no Access-Control-Allow-Origin',
      ).toBeUndefined();
      expect(delivered(id)).toBe(false);
    } else {
      expect(delivered(id)).toBe(true);
      // R-CORS-3: the serialised origin, never the raw header.
      if (claim.origin !== undefined)
        expect(answer.headers['access-control-allow-origin']).toBe(new URL(claim.origin).origin);
    }
  });

  it('stays within its memory bound and keeps serving', async () => {
    await expectStillServing(
      origins,
      'origin tricks',
      `${cases.length} origin and Referer tricks answered as the contract says`,
    );
  });
});

describe('inputs built to be expensive (issue 15 review)', () => {
  let costly: Relay;
  beforeAll(async () => {
    costly = await startRelay(
      abuseConfig(endpoint(), {
        allowedOrigins: [ORIGIN],
        tunnel: {
          dsns: [tunnelDsn()],
          scrub: { rules: ['@iban', '@urlauth', '@email', '@pemkey'] },
        },
      }),
    );
  });
  afterAll(async () => {
    await costly?.stop();
  });

  /** How long a health check takes while `work` runs: the event loop's own delay, the figure that mattered. */
  async function healthWhile<T>(work: Promise<T>): Promise<{ result: T; healthMs: number }> {
    const started = Date.now();
    const health = send(`http://127.0.0.1:${costly.port}/healthz`, { method: 'GET' }).then(
      () => Date.now() - started,
    );
    const [result, healthMs] = await Promise.all([work, health]);
    return { result, healthMs };
  }

  it('scrubs an envelope crafted against @iban and @urlauth in linear time: /healthz answers meanwhile', async () => {
    // 128 KiB decoded from a few hundred bytes of gzip: the review's 5.8 s event-loop block.
    const iban = 'DE89 3704 '.repeat(6_600);
    const urlauth = 'a.'.repeat(32_000);
    const event = JSON.stringify({
      event_id: '0c5e2d7f1f7e4c0e9d8a7b6c5d4e3f21',
      message: iban,
      extra: { url: urlauth },
    });
    const envelope = Buffer.from(
      `{"dsn":"${tunnelDsn()}"}\n{"type":"event","length":${Buffer.byteLength(event)}}\n${event}\n`,
    );
    const body = gzipSync(envelope, { level: 9 });
    const cpuBefore = costly.cpu();
    const { result: answer, healthMs } = await healthWhile(
      send(costly.url.replace('/debugbundle/browser', '/postern/tunnel'), {
        headers: {
          origin: ORIGIN,
          'content-type': 'text/plain;charset=UTF-8',
          'content-encoding': 'gzip',
        },
        body,
      }),
    );
    const cpu = costly.cpu() - cpuBefore;
    // The recording upstream answers 202, which the tunnel passes back (R-PASS-1).
    expect(answer.status, answer.body).toBe(202);
    // Seconds before the patterns were bounded; now a few milliseconds of work, so the bounds are wide.
    expect(cpu, 'CPU seconds spent on the envelope').toBeLessThan(1);
    expect(healthMs, 'ms a /healthz took while the envelope was scrubbed').toBeLessThan(1000);
    await expectStillServing(
      costly,
      'scrubber attack',
      `${body.length} bytes of gzip decoding to ${(envelope.length / 1024).toFixed(0)} KiB against @iban and @urlauth: ${answer.status}, ${cpu.toFixed(2)} CPU s, /healthz in ${healthMs} ms meanwhile`,
    );
  });

  it('answers a 256 KiB batch of junk with an answer of bounded size: the count exact, the list cut at 256', async () => {
    const junk = `{"batch":[${Array.from({ length: 500 }, () => '0').join(',')}]}`;
    const tooMany = `{"batch":[${Array.from({ length: 100_000 }, () => '0').join(',')}]}`;
    const cpuBefore = costly.cpu();
    const listed = await send(costly.url, {
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: junk,
    });
    const refused = await send(costly.url, {
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: tooMany,
    });
    const cpu = costly.cpu() - cpuBefore;
    const body = JSON.parse(listed.body) as { rejected: number; errors: unknown[] };
    expect(listed.status).toBe(400);
    expect(body.rejected).toBe(500);
    expect(body.errors).toHaveLength(256);
    expect(listed.body.length, 'bytes of the answer').toBeLessThan(32 * 1024);
    expect(refused.status).toBe(413);
    expect(refused.code).toBe('batch_too_large');
    expect(refused.body.length).toBeLessThan(1024);
    await expectStillServing(
      costly,
      'junk batches',
      `500 items of junk: 400 listing 256 of 500 rejections in ${listed.body.length} bytes; ${tooMany.length} bytes holding 100 000 items: 413 batch_too_large in ${refused.body.length} bytes; ${cpu.toFixed(2)} CPU s`,
    );
  });

  it('refuses JSON nested 5 000 deep with 400 invalid_json, never a 500 on the way upstream', async () => {
    const deep = JSON.stringify({
      batch: [
        sampleEvent('frontend_breadcrumb', { payload: { breadcrumb_type: 'click', data: {} } }),
      ],
    }).replace('"data":{}', `"data":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`);
    const answer = await send(costly.url, {
      headers: { origin: ORIGIN, 'content-type': 'application/json' },
      body: deep,
    });
    expect(answer.status, answer.body).toBe(400);
    expect(answer.code).toBe('invalid_json');
    await expectStillServing(
      costly,
      'deep JSON',
      `a batch nesting 5 000 levels (${deep.length} bytes): ${answer.status} ${answer.code}`,
    );
  });
});
