import { randomUUID } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { sampleEvent } from './samples.js';
import type { EnvelopeItemSpec, EnvelopeSpec, FixtureRequest } from './types.js';

/**
 * A valid one-event batch padded with breadcrumb data to exactly `bytes` bytes of JSON. Its event id is
 * new on every call, so a relay that remembers delivered ids (R-DELIVER-7) forwards each one.
 */
export function generateBatch(bytes: number): Buffer {
  const eventId = randomUUID();
  const shell = (padding: string): string =>
    JSON.stringify({
      batch: [
        sampleEvent('frontend_breadcrumb', {
          event_id: eventId,
          payload: { breadcrumb_type: 'console_log', route: '/checkout', data: { padding } },
        }),
      ],
    });
  const overhead = Buffer.byteLength(shell(''));
  if (bytes < overhead) throw new Error(`generate.bytes must be at least ${overhead}`);
  return Buffer.from(shell('x'.repeat(bytes - overhead)));
}

function itemPayload(item: EnvelopeItemSpec): Buffer {
  if (item.json !== undefined) return Buffer.from(JSON.stringify(item.json));
  if (item.text !== undefined) return Buffer.from(item.text, 'utf8');
  if (item.base64 !== undefined) return Buffer.from(item.base64, 'base64');
  return Buffer.alloc(item.fill ?? 0, 'x');
}

/** A Sentry envelope: header line, then per item its header line (with `length` unless told not to), payload and newline. */
export function buildEnvelope(spec: EnvelopeSpec): Buffer {
  const parts: Buffer[] = [Buffer.from(`${JSON.stringify(spec.header)}\n`)];
  for (const item of spec.items) {
    const payload = itemPayload(item);
    const header =
      item.withLength === false ? item.header : { ...item.header, length: payload.length };
    parts.push(Buffer.from(`${JSON.stringify(header)}\n`), payload, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** The body compressed as the fixture asks, for sending; assertions compare against the uncompressed bytes. */
export function encodeBody(body: Buffer, encoding: 'gzip' | 'deflate'): Buffer {
  return encoding === 'gzip' ? gzipSync(body) : deflateSync(body);
}

/** The bytes a fixture request sends (before any `contentEncoding`), or undefined for no body at all; placeholders are already filled. */
export function requestBody(request: FixtureRequest): Buffer | undefined {
  if (request.json !== undefined) return Buffer.from(JSON.stringify(request.json));
  if (request.text !== undefined) return Buffer.from(request.text, 'utf8');
  if (request.envelope !== undefined) return buildEnvelope(request.envelope);
  if (request.base64 !== undefined) return Buffer.from(request.base64, 'base64');
  if (request.generate !== undefined) return generateBatch(request.generate.bytes);
  return undefined;
}
