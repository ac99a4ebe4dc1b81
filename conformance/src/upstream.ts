import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CapturedUpstreamRequest, UpstreamReply } from './types.js';

/** A request as the upstream received it, with the exact bytes, for byte-for-byte assertions. */
export interface ReceivedRequest extends CapturedUpstreamRequest {
  /** The body's bytes (its first `keepBytes` when that option is set; `bodyBytes` still counts them all). */
  raw: Buffer;
  /** The headers as they came off the wire: names in their original case, repeats kept. */
  rawHeaders: string[];
  /** The status the upstream answered with. */
  answered: number;
  /** When the request's body ended here (`performance.now()`), before any scripted `delayMs`. */
  receivedAt: number;
}

/** An answer of the upstream: a fixture's `upstreamReply`, and a body if the default does not do. */
export interface UpstreamAnswer extends UpstreamReply {
  /** Default: `{"ok":true}` (or `false` for a status of 300 and above). */
  body?: string;
}

export interface UpstreamOptions {
  /** Listen on this loopback port; default a free one. */
  port?: number;
  /** What every request gets unless `setReply` or `answerNext` says otherwise; default 202 with a JSON body. */
  reply?: UpstreamAnswer;
  /** Keep only the first this many bytes of each body (its size is still counted), for tests that send 20 MiB. */
  keepBytes?: number;
}

/**
 * A real HTTP server on loopback standing in for DebugBundle's ingestion or Sentry: it records each request
 * byte for byte and answers as scripted. The conformance runner uses it as every relay's upstream, and tests
 * of a mounted relay can use the same one (`startUpstream`).
 */
export interface RecordingUpstream {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** `127.0.0.1:41234`, e.g. for a DSN or a `{{upstream}}` placeholder. */
  readonly host: string;
  readonly port: number;
  /** Every request so far, in the order their bodies ended. */
  readonly received: readonly ReceivedRequest[];
  /** A Sentry DSN naming this upstream: `http://<publicKey>@127.0.0.1:<port>/<projectId>`. */
  dsn(projectId: string, publicKey?: string): string;
  /** The answer to every request from now on; `undefined` goes back to the default. */
  setReply(reply: UpstreamAnswer | undefined): void;
  /** Answers the next request so, once, before `setReply`'s answer applies again; answers queue. */
  answerNext(reply: UpstreamAnswer): void;
  /** Resolves when at least `count` requests arrived after the first `from`, or after `timeoutMs`. */
  waitFor(from: number, count: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

function headerRecord(rawHeaders: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  return out;
}

async function readBody(req: IncomingMessage, keepBytes: number): Promise<[Buffer, number]> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (kept < keepBytes) {
      const part = chunk.length <= keepBytes - kept ? chunk : chunk.subarray(0, keepBytes - kept);
      chunks.push(part);
      kept += part.length;
    }
  }
  return [Buffer.concat(chunks), total];
}

/** Starts a recording upstream on 127.0.0.1 (see `RecordingUpstream`). */
export async function startUpstream(options: UpstreamOptions = {}): Promise<RecordingUpstream> {
  const received: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const queued: UpstreamAnswer[] = [];
  const keepBytes = options.keepBytes ?? Number.POSITIVE_INFINITY;
  let reply: UpstreamAnswer | undefined;

  const server: Server = createServer((req, res) => {
    // The answer is chosen when the request arrives, so a step's scripted reply applies to what it sent.
    const answer = queued.shift() ?? reply ?? options.reply;
    const status = answer?.status ?? 202;
    readBody(req, keepBytes).then(
      async ([raw, total]) => {
        received.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: headerRecord(req.rawHeaders),
          rawHeaders: req.rawHeaders,
          raw,
          body: raw.toString('utf8'),
          bodyBytes: total,
          answered: status,
          receivedAt: performance.now(),
        });
        for (const wake of waiters) wake();
        if (answer?.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': 'application/json', ...answer?.headers });
        res.end(answer?.body ?? JSON.stringify({ ok: status < 300 }));
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;

  return {
    url: `http://${host}`,
    host,
    port,
    received,
    dsn: (projectId, publicKey = 'public') => `http://${publicKey}@${host}/${projectId}`,
    setReply(next) {
      reply = next;
    },
    answerNext(next) {
      queued.push(next);
    },
    waitFor(from, count, timeoutMs) {
      return new Promise<void>((resolve) => {
        const check = (): void => {
          if (received.length - from >= count) done();
        };
        const timer = setTimeout(() => done(), timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
