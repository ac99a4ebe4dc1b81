import { request as httpRequest } from 'node:http';

export interface SendOptions {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  chunked: boolean;
  /** Leave the body unfinished and wait for the answer. */
  holdOpen: boolean;
  timeoutMs: number;
}

export interface SentResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Whether the answer arrived before the runner finished sending the body. */
  beforeBodyEnded: boolean;
}

const CHUNK = 16 * 1024;
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Sends one request exactly as a fixture describes it, on a fresh connection: headers as given (Host
 * included), Content-Length or chunked as asked, and, with `holdOpen`, the body left unfinished.
 */
export function sendRequest(options: SendOptions): Promise<SentResponse> {
  return new Promise((resolve, reject) => {
    let bodyEnded = false;
    const headers: Record<string, string> = { ...options.headers };
    const declared = Object.keys(headers).some((name) => name.toLowerCase() === 'content-length');
    if (options.body !== undefined && !declared) {
      if (options.chunked || options.holdOpen) headers['transfer-encoding'] = 'chunked';
      else headers['content-length'] = String(options.body.length);
    }
    const req = httpRequest(options.url, {
      method: options.method,
      headers,
      agent: false,
      setHost: headers.host === undefined,
    });
    const timer = setTimeout(() => {
      req.destroy(
        new Error(
          `no answer within ${options.timeoutMs} ms${options.holdOpen ? ' while the body was held open' : ''}`,
        ),
      );
    }, options.timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on('response', (res) => {
      const beforeBodyEnded = !bodyEnded;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        const responseHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined)
            responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: responseHeaders,
          body: Buffer.concat(chunks).toString('utf8'),
          beforeBodyEnded,
        });
        if (!bodyEnded) req.destroy();
      });
      res.on('error', reject);
    });
    const body = options.body;
    if (body === undefined) {
      bodyEnded = true;
      req.end();
      return;
    }
    if (!options.chunked && !options.holdOpen && !declared) {
      req.end(body, () => {
        bodyEnded = true;
      });
      return;
    }
    for (let offset = 0; offset < body.length; offset += CHUNK)
      req.write(body.subarray(offset, offset + CHUNK));
    if (!options.holdOpen) {
      req.end(() => {
        bodyEnded = true;
      });
    }
  });
}
