/** A Sentry envelope as the upstream received it, for assertions on what a tunnel forwarded. */
export interface ParsedEnvelope {
  header: unknown;
  items: Array<{ header: Record<string, unknown>; payload: Buffer }>;
}

function parseLine(bytes: Buffer): unknown {
  return JSON.parse(bytes.toString('utf8'));
}

/**
 * Splits an envelope into its header and items: an item's payload is `length` bytes when its header says
 * so (binary, newlines allowed), otherwise the bytes up to the next newline. A string says what is wrong.
 */
export function parseEnvelope(raw: Buffer): ParsedEnvelope | string {
  let at = raw.indexOf(0x0a);
  const end = at === -1 ? raw.length : at;
  let header: unknown;
  try {
    header = parseLine(raw.subarray(0, end));
  } catch {
    return 'the header line is not JSON';
  }
  const items: ParsedEnvelope['items'] = [];
  at = end + 1;
  while (at < raw.length) {
    const lineEnd = raw.indexOf(0x0a, at);
    const headerEnd = lineEnd === -1 ? raw.length : lineEnd;
    if (headerEnd === at) {
      at++;
      continue;
    }
    let itemHeader: unknown;
    try {
      itemHeader = parseLine(raw.subarray(at, headerEnd));
    } catch {
      return `item ${items.length + 1}: the header line is not JSON`;
    }
    if (itemHeader === null || typeof itemHeader !== 'object' || Array.isArray(itemHeader))
      return `item ${items.length + 1}: the header is not an object`;
    const record = itemHeader as Record<string, unknown>;
    const start = headerEnd + 1;
    let payloadEnd: number;
    if (typeof record.length === 'number') {
      payloadEnd = start + record.length;
      if (payloadEnd > raw.length)
        return `item ${items.length + 1}: length ${record.length} runs past the end`;
    } else {
      const next = raw.indexOf(0x0a, start);
      payloadEnd = next === -1 ? raw.length : next;
    }
    items.push({ header: record, payload: raw.subarray(Math.min(start, raw.length), payloadEnd) });
    at = payloadEnd + 1;
  }
  return { header, items };
}
