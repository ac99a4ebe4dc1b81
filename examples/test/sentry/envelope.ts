import type { UpstreamAnswer } from '@postern/conformance';

/** What Sentry answers an envelope: 200 `{"id":…}`; `startUpstream({ reply: SENTRY_REPLY })` answers so. */
export const SENTRY_REPLY: UpstreamAnswer = {
  status: 200,
  body: '{"id":"00000000000000000000000000000000"}',
};

/** One item of a Sentry envelope: its header, and its payload as the exact bytes it occupies. */
export interface EnvelopeItem {
  header: Record<string, unknown> & { type?: string; length?: number };
  payload: Buffer;
}

export interface Envelope {
  header: Record<string, unknown>;
  items: EnvelopeItem[];
}

function lineEnd(bytes: Buffer, from: number): number {
  const newline = bytes.indexOf(0x0a, from);
  return newline === -1 ? bytes.length : newline;
}

/**
 * Splits an envelope the way Sentry does: a JSON header line, then items, each a JSON header line and a
 * payload of `length` bytes when the header says so (binary, may contain newlines), else up to the next
 * newline. Throws on anything malformed so a mangled body fails the test loudly.
 */
export function parseEnvelope(bytes: Buffer): Envelope {
  let at = lineEnd(bytes, 0);
  const header = JSON.parse(bytes.subarray(0, at).toString('utf8')) as Record<string, unknown>;
  at += 1;
  const items: EnvelopeItem[] = [];
  while (at < bytes.length) {
    const headerEnd = lineEnd(bytes, at);
    const itemHeader = JSON.parse(
      bytes.subarray(at, headerEnd).toString('utf8'),
    ) as EnvelopeItem['header'];
    at = headerEnd + 1;
    let payloadEnd: number;
    if (typeof itemHeader.length === 'number') {
      payloadEnd = at + itemHeader.length;
      if (payloadEnd > bytes.length)
        throw new Error(
          `item ${itemHeader.type} says ${itemHeader.length} bytes but only ${bytes.length - at} remain`,
        );
    } else {
      payloadEnd = lineEnd(bytes, at);
    }
    items.push({ header: itemHeader, payload: bytes.subarray(at, payloadEnd) });
    at = payloadEnd + 1;
  }
  return { header, items };
}

export function itemTypes(bytes: Buffer): string[] {
  return parseEnvelope(bytes).items.map((item) => String(item.header.type));
}

export function itemJson(item: EnvelopeItem): Record<string, unknown> {
  return JSON.parse(item.payload.toString('utf8')) as Record<string, unknown>;
}
