import type { UpstreamReply, UpstreamTransport } from '@postern/core';
import type { Readable } from 'node:stream';
import { readBodyCapped, UpstreamFailure } from '@postern/core';
import { request } from 'undici';

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Reads a body to its end under a cap; past the cap the stream is destroyed (that connection is not reused). */
async function readSmall(
  body: Readable,
  declaredLength: string | undefined,
  maxBytes: number,
): Promise<Uint8Array | null> {
  if (Number(declaredLength) > maxBytes) {
    body.destroy();
    return null;
  }
  const read = await readBodyCapped(body, maxBytes);
  if (read.ok) return read.bytes;
  body.destroy();
  return null;
}

function headerOf(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The engine's upstream calls over undici's `request`, not `fetch`: the same HTTP client without the Web
 * Request/Response and stream objects per call, which profiles put at the largest single cost of the
 * forward path. Redirects are not followed; `timeoutMs` bounds the wait for the answer's headers and body.
 *
 * @example
 * import { createBrowserRelay } from '@postern/core';
 * import { undiciTransport } from '@postern/node';
 *
 * const relay = createBrowserRelay({ projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN!, transport: undiciTransport() });
 */
export function undiciTransport(): UpstreamTransport {
  return {
    async post(url, headers, body, timeoutMs): Promise<UpstreamReply> {
      let response: Awaited<ReturnType<typeof request>>;
      try {
        response = await request(url, {
          method: 'POST',
          headers,
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && TIMEOUT_CODES.has(code))
          throw new UpstreamFailure('timeout', `No answer within ${timeoutMs} ms.`);
        throw new UpstreamFailure('unreachable', 'The connection to the upstream failed.');
      }
      const { statusCode, headers: answer, body: stream } = response;
      return {
        status: statusCode,
        header: (name) => headerOf(answer, name),
        readSmall: (maxBytes) => readSmall(stream, headerOf(answer, 'content-length'), maxBytes),
      };
    },
  };
}

/** Options with the Node transport filled in, unless the app chose its own `transport` or `fetch`. */
export function withNodeTransport<
  T extends { transport?: UpstreamTransport; fetch?: typeof globalThis.fetch },
>(options: T): T {
  return options.transport !== undefined || options.fetch !== undefined
    ? options
    : { ...options, transport: undiciTransport() };
}
