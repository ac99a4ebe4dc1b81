import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { sampleEvent } from '@postern/conformance';
import { freePort, ORIGIN, sleep, startServer, TOKEN, waitForPort } from './helpers.js';

/** Helpers of abuse.test.ts: a relay child process to measure, raw sockets, bombs and envelopes. */

const MB = 1024 * 1024;

/** What /proc says about a process: resident memory now and at its peak (VmHWM), in MB. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]);
  };
  return {
    rssMb: Math.round(kb('VmRSS') / 102.4) / 10,
    peakMb: Math.round(kb('VmHWM') / 102.4) / 10,
  };
}

/** Open file descriptors of a process (its sockets included). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** The soft limit on open files of a process (`self` for this one), from /proc/<pid>/limits. */
export function openFilesLimit(pid: number | 'self'): number {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8');
  const soft = /^Max open files\s+(\S+)/m.exec(limits)?.[1];
  return soft === undefined || soft === 'unlimited' ? Number.POSITIVE_INFINITY : Number(soft);
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5), counted from "state" (field 3) here; clock ticks are 100 per second on Linux.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function waitFor(
  condition: () => boolean,
  timeoutMs: number,
  everyMs = 25,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

/** `postern serve` as a child process, with what a test needs to attack and measure it. */
export interface Relay {
  readonly port: number;
  readonly pid: number;
  /** The relay route. */
  readonly url: string;
  output(): string;
  memory(): { rssMb: number; peakMb: number };
  fds(): number;
  cpu(): number;
  /** Fails when the process has died. */
  alive(): boolean;
  stop(): Promise<void>;
}

export function abuseConfig(
  upstreamUrl: string,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return {
    projectToken: TOKEN,
    endpoint: upstreamUrl,
    rateLimit: { limit: 1_000_000, windowMs: 60_000 },
    logLevel: 'warn',
    ...extra,
  };
}

export async function startRelay(config: Record<string, unknown>): Promise<Relay> {
  const port = await freePort();
  const server = startServer(port, config);
  let exited = false;
  void server.exited.then(() => {
    exited = true;
  });
  try {
    await waitForPort(port, 30_000, () =>
      exited ? `postern serve exited before listening:\n${server.output()}` : undefined,
    );
  } catch (error) {
    server.child.kill('SIGKILL');
    throw new Error(`postern serve did not start: ${String(error)}\n${server.output()}`);
  }
  const pid = server.child.pid as number;
  return {
    port,
    pid,
    url: `http://127.0.0.1:${port}/debugbundle/browser`,
    output: server.output,
    memory: () => memoryOf(pid),
    fds: () => fdCount(pid),
    cpu: () => cpuSeconds(pid),
    alive: () => !exited,
    async stop() {
      if (exited) return;
      server.child.kill('SIGTERM');
      const timer = setTimeout(() => server.child.kill('SIGKILL'), 5000);
      await server.exited;
      clearTimeout(timer);
    },
  };
}

let sequence = 0;

/** A valid one-event batch; the id is returned so a test can find it at the upstream. */
export function validBatch(prefix: string): { id: string; body: string } {
  const id = randomUUID();
  const batch = [
    sampleEvent('frontend_breadcrumb', {
      event_id: id,
      payload: {
        breadcrumb_type: 'click',
        route: '/abuse',
        data: { sent: `${prefix}-${process.pid}-${++sequence}` },
      },
    }),
  ];
  return { id, body: JSON.stringify({ batch }) };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The `error` code of a JSON refusal, if any. */
  code: string | undefined;
}

function codeOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One request over its own connection (node:http, no pooling), optionally from a chosen loopback source
 * address. `chunked` sends the body without Content-Length. Resolves with the first answer even when the
 * server stops reading the body early.
 */
export function send(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    chunked?: boolean;
    localAddress?: string;
    timeoutMs?: number;
  } = {},
): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      url,
      {
        method: options.method ?? 'POST',
        headers: options.headers,
        agent: false,
        localAddress: options.localAddress,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          answered = true;
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, code: codeOf(body) });
          req.destroy();
        });
        res.on('error', (error) => {
          if (!answered) reject(error);
        });
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () =>
      req.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)),
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (options.body === undefined) req.end();
    else if (options.chunked) {
      req.write(options.body);
      req.end();
    } else req.end(options.body);
  });
}

/** A valid batch from an allowed origin (or `origin`); the answer should be 202. */
export function sendValid(
  url: string,
  prefix: string,
  origin = ORIGIN,
  localAddress?: string,
): Promise<Answer & { id: string }> {
  const { id, body } = validBatch(prefix);
  return send(url, {
    headers: { origin, 'content-type': 'application/json' },
    body,
    localAddress,
  }).then((answer) => ({ ...answer, id }));
}

/** A raw TCP connection that records what the server sent and when (and whether) the server closed it. */
export interface RawConnection {
  readonly socket: Socket;
  readonly openedAt: number;
  /** When the connection closed, if it has. */
  closedAt: number | undefined;
  /** True when this side closed it (the test tearing down), so a close is not counted as the server's. */
  closedByUs: boolean;
  bytesSent: number;
  received(): Buffer;
  readonly closed: Promise<void>;
  write(data: string | Buffer): void;
  destroy(): void;
}

export function rawConnect(port: number, localAddress?: string): Promise<RawConnection> {
  return new Promise<RawConnection>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let resolveClosed: () => void = () => undefined;
    const closed = new Promise<void>((done) => {
      resolveClosed = done;
    });
    const socket = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
    const connection: RawConnection = {
      socket,
      openedAt: 0,
      closedAt: undefined,
      closedByUs: false,
      bytesSent: 0,
      received: () => Buffer.concat(chunks),
      closed,
      write(data) {
        if (socket.destroyed || !socket.writable) return;
        const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
        connection.bytesSent += bytes.length;
        socket.write(bytes);
      },
      destroy() {
        if (connection.closedAt === undefined) connection.closedByUs = true;
        socket.destroy();
      },
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined); // ECONNRESET / EPIPE after the server closes: the close is what is checked
    socket.once('close', () => {
      connection.closedAt = Date.now();
      resolveClosed();
    });
    socket.once('connect', () => {
      (connection as { openedAt: number }).openedAt = Date.now();
      resolve(connection);
    });
    socket.once('error', (error) => {
      if (connection.openedAt === 0) reject(error);
    });
  });
}

/** The first HTTP response in raw bytes, once it is complete (Content-Length or chunked); undefined before. */
export function parseResponse(
  raw: Buffer,
):
  | { status: number; headers: Record<string, string>; body: string; code: string | undefined }
  | undefined {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return undefined;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? Number.NaN);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let rest = text.slice(end + 4);
  let body = '';
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (rest.length < length) return undefined;
    body = rest.slice(0, length);
  } else if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    for (;;) {
      const lineEnd = rest.indexOf('\r\n');
      if (lineEnd === -1) return undefined;
      const size = Number.parseInt(rest.slice(0, lineEnd), 16);
      if (Number.isNaN(size)) return undefined;
      if (size === 0) break;
      if (rest.length < lineEnd + 2 + size + 2) return undefined;
      body += rest.slice(lineEnd + 2, lineEnd + 2 + size);
      rest = rest.slice(lineEnd + 2 + size + 2);
    }
  } else body = rest;
  return { status, headers, body, code: codeOf(body) };
}

/** Opens `count` connections, `batch` at a time so the listen backlog is never the limit. */
export async function rawConnectMany(
  port: number,
  count: number,
  batch = 250,
): Promise<RawConnection[]> {
  const connections: RawConnection[] = [];
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    connections.push(...(await Promise.all(Array.from({ length: size }, () => rawConnect(port)))));
  }
  return connections;
}

/**
 * A gzip bomb: `members` copies of one gzip member holding `memberMb` MB of zeros (multi-member gzip is one
 * valid gzip stream, RFC 1952 §2.2), so ~1 MB on the wire inflates to ~1 GB.
 */
export function gzipBomb(
  members: number,
  memberMb = 64,
): { body: Buffer; member: Buffer; inflatedBytes: number } {
  const member = gzipSync(Buffer.alloc(memberMb * MB), { level: 9 });
  return {
    body: Buffer.concat(Array.from({ length: members }, () => member)),
    member,
    inflatedBytes: members * memberMb * MB,
  };
}

/** Samples a process's RSS while `work` runs; returns the work's result and the highest RSS seen, in MB. */
export async function sampleRss<T>(
  pid: number,
  work: () => Promise<T>,
  everyMs = 50,
): Promise<{ result: T; maxRssMb: number }> {
  let maxRssMb = memoryOf(pid).rssMb;
  const timer = setInterval(() => {
    try {
      maxRssMb = Math.max(maxRssMb, memoryOf(pid).rssMb);
    } catch {
      // the process is gone; the test's own checks report that
    }
  }, everyMs);
  try {
    const result = await work();
    maxRssMb = Math.max(maxRssMb, memoryOf(pid).rssMb);
    return { result, maxRssMb };
  } finally {
    clearInterval(timer);
  }
}

/**
 * A gzip envelope for `dsn` that decodes to exactly `decodedBytes`: zeros (`ratio: 'bomb'`, ~1000 times
 * smaller on the wire) or zeros with one random byte in every 256 (`'modest'`, ~65 times smaller: under the
 * tunnel's default 100, so only the in-flight budget can stop it).
 */
export function tunnelBomb(
  dsn: string,
  decodedBytes: number,
  kind: 'bomb' | 'modest',
): { body: Buffer; ratio: number } {
  const header = Buffer.from(`{"dsn":"${dsn}"}\n{"type":"attachment"}\n`);
  const payload = Buffer.alloc(decodedBytes - header.length);
  if (kind === 'modest') {
    const noise = new Uint8Array(Math.ceil(payload.length / 256));
    for (let offset = 0; offset < noise.length; offset += 65536)
      crypto.getRandomValues(noise.subarray(offset, offset + 65536));
    for (let index = 0; index < noise.length; index++)
      payload[index * 256] = noise[index] as number;
  }
  const body = gzipSync(Buffer.concat([header, payload]), { level: kind === 'bomb' ? 9 : 6 });
  return { body, ratio: decodedBytes / body.length };
}

/** A small valid Sentry envelope (an error event) for `dsn`; `id` finds it at the upstream. */
export function validEnvelope(dsn: string): { id: string; body: string } {
  const id = randomUUID().replaceAll('-', '');
  const body = `${JSON.stringify({ event_id: id, dsn, sent_at: new Date().toISOString() })}\n{"type":"event"}\n${JSON.stringify({ event_id: id, level: 'error', message: 'legit' })}\n`;
  return { id, body };
}
