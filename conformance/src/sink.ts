import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CapturedUpstreamRequest, UpstreamReply } from './types.js';

/** A request as the sink received it, with the exact bytes, for byte-for-byte assertions. */
export interface ReceivedRequest extends CapturedUpstreamRequest {
  raw: Buffer;
  rawHeaders: string[];
}

/**
 * The upstream every relay under test forwards to: a real HTTP server on loopback that records each
 * request byte for byte and answers as the current step scripts it (status, headers, delay).
 */
export interface UpstreamSink {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly received: readonly ReceivedRequest[];
  setReply(reply: UpstreamReply | undefined): void;
  /** Resolves when at least `count` requests arrived after `from`, or after `timeoutMs`. */
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

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startSink(port = 0): Promise<UpstreamSink> {
  const received: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  let reply: UpstreamReply | undefined;

  const server: Server = createServer((req, res) => {
    const current = reply;
    readAll(req).then(
      async (raw) => {
        received.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: headerRecord(req.rawHeaders),
          rawHeaders: req.rawHeaders,
          raw,
          body: raw.toString('utf8'),
          bodyBytes: raw.length,
        });
        for (const wake of waiters) wake();
        if (current?.delayMs) await new Promise((resolve) => setTimeout(resolve, current.delayMs));
        if (res.destroyed) return;
        res.writeHead(current?.status ?? 202, {
          'content-type': 'application/json',
          ...current?.headers,
        });
        res.end(JSON.stringify({ ok: (current?.status ?? 202) < 300 }));
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${bound}`,
    received,
    setReply(next) {
      reply = next;
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
