import type { FixtureRequest } from './types.js';

/** A valid one-event batch padded with breadcrumb data to exactly `bytes` bytes of JSON. */
export function generateBatch(bytes: number): Buffer {
  const shell = (padding: string): string =>
    JSON.stringify({
      batch: [{ type: 'frontend_breadcrumb', event_id: 'generated-1', timestamp: '2026-01-01T00:00:00.000Z', breadcrumb: { category: 'padding', data: { padding } } }],
    });
  const overhead = Buffer.byteLength(shell(''));
  if (bytes < overhead) throw new Error(`generate.bytes must be at least ${overhead}`);
  return Buffer.from(shell('x'.repeat(bytes - overhead)));
}

/** The bytes a fixture request sends, or undefined for no body at all. */
export function requestBody(request: FixtureRequest): Buffer | undefined {
  if (request.json !== undefined) return Buffer.from(JSON.stringify(request.json));
  if (request.text !== undefined) return Buffer.from(request.text, 'utf8');
  if (request.base64 !== undefined) return Buffer.from(request.base64, 'base64');
  if (request.generate !== undefined) return generateBatch(request.generate.bytes);
  return undefined;
}
