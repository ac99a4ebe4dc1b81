import { readSmallBody } from './upstream-body.js';

/** What came back from the upstream: the status, a header lookup, and the body only when it is small. */
export interface UpstreamReply {
  status: number;
  /** A response header by lowercase name. */
  header(name: string): string | undefined;
  /** The body when it is at most `maxBytes` (read to the end, so the connection is reused), else null; call once. */
  readSmall(maxBytes: number): Promise<Uint8Array | null>;
}

/**
 * The one HTTP call the engine makes: a POST to the upstream. Core's default is the runtime's `fetch`;
 * Node adapters pass a lighter one (`undiciTransport` in @postern/node), since fetch's Web-stream machinery
 * was the largest single cost on the forward path. Redirects are never followed.
 */
export interface UpstreamTransport {
  /** Rejects with an `UpstreamFailure` when no answer came: `timeout` after `timeoutMs`, else `unreachable`. */
  post(
    url: string,
    headers: Record<string, string>,
    body: string | Uint8Array,
    timeoutMs: number,
  ): Promise<UpstreamReply>;
}

export class UpstreamFailure extends Error {
  constructor(
    readonly kind: 'timeout' | 'unreachable',
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamFailure';
  }
}

/** The transport over a `fetch` function: the default everywhere, and what a `fetch` option is turned into. */
export function fetchTransport(fetchImpl: typeof globalThis.fetch): UpstreamTransport {
  return {
    async post(url, headers, body, timeoutMs) {
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method: 'POST',
          headers,
          body: body as string | Uint8Array<ArrayBuffer>,
          redirect: 'manual',
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        if (name === 'TimeoutError' || name === 'AbortError')
          throw new UpstreamFailure('timeout', `No answer within ${timeoutMs} ms.`);
        throw new UpstreamFailure('unreachable', 'The connection to the upstream failed.');
      }
      return {
        status: response.status,
        header: (name) => response.headers.get(name) ?? undefined,
        readSmall: (maxBytes) => readSmallBody(response, maxBytes),
      };
    },
  };
}

/** The transport the options ask for: an explicit one, else one over the given or the runtime's `fetch`. */
export function resolveTransport(options: {
  transport?: UpstreamTransport | undefined;
  fetch?: typeof globalThis.fetch | undefined;
}): UpstreamTransport {
  return options.transport ?? fetchTransport(options.fetch ?? globalThis.fetch.bind(globalThis));
}
