import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request exactly as it reached the upstream: nothing parsed away, the body as raw bytes. */
export interface SinkRequest {
  method: string;
  /** Path and query as sent on the request line. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The headers as they came off the wire, names in their original case, repeats kept. */
  rawHeaders: string[];
  body: Buffer;
  /** What the sink answered. */
  answered: number;
}

export interface SinkAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * A real `node:http` server on 127.0.0.1 standing in for Sentry's ingest: it records every request byte
 * for byte and answers as scripted (one-off answers queued with `answerNext`, then Sentry's usual 200).
 */
export interface Sink {
  readonly port: number;
  readonly requests: SinkRequest[];
  answerNext(answer: SinkAnswer): void;
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const requests: SinkRequest[] = [];
  const script: SinkAnswer[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = script.shift() ?? {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: '{"id":"00000000000000000000000000000000"}',
      };
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
        answered: answer.status,
      });
      res.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    answerNext(answer) {
      script.push(answer);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
