// One POST of a batch to the relay, and what its answer means for the events in it.

/** Item reasons an acknowledgement may give that mean "later", not "never" (DebugBundle's ingestion reasons). */
const RETRYABLE_REASONS = new Set([
  'rate_limited',
  'monthly_quota_exceeded',
  'analytics_quota_exceeded',
]);

export type SendOutcome =
  /** 2xx. `retry`: indexes of events the acknowledgement asked to send again later; `rejected`: events refused for good. */
  | { kind: 'delivered'; retry: number[]; rejected: number }
  /** 408, 429, 5xx or no answer: keep the batch and try again, not before `retryAfterMs` when the relay said so. */
  | { kind: 'retry'; retryAfterMs?: number }
  /** Any other answer: never send this batch again. `accepted`: events the relay still took (a mixed batch's 400). */
  | { kind: 'refused'; status: number; code?: string; accepted: number };

export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

/**
 * Sends `{"batch": [...]}` as JSON. `credentials: 'same-origin'` (fetch's default, spelled out): a relay on
 * the page's origin gets the page's cookies (and never forwards them, R-CRED-1); one on another origin gets
 * none, so it answers without needing `Access-Control-Allow-Credentials`. Beacons are another matter (see
 * client.ts).
 */
export async function postBatch(
  fetch: FetchFunction,
  endpoint: string,
  body: string,
  keepalive: boolean,
  count: number,
): Promise<SendOutcome> {
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      credentials: 'same-origin',
      keepalive,
    });
  } catch {
    return { kind: 'retry' };
  }
  const answer = await readJson(response);
  const status = response.status;
  if (status >= 200 && status < 300) return acknowledgement(answer, count);
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    return retryAfterMs === undefined ? { kind: 'retry' } : { kind: 'retry', retryAfterMs };
  }
  const code = typeof answer?.error === 'string' ? answer.error : undefined;
  const accepted =
    typeof answer?.accepted === 'number' && answer.accepted >= 0
      ? Math.min(answer.accepted, count)
      : 0;
  return code === undefined
    ? { kind: 'refused', status, accepted }
    : { kind: 'refused', status, code, accepted };
}

/** The answer's JSON object, or undefined (no body, not JSON, cut off). */
async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await response.text());
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `{accepted, rejected, errors: [{index, reason}]}`: events rejected for a retryable reason go back in the
 * queue, the others are dropped. A 2xx without such a body (or with one that does not add up) delivered the
 * whole batch as far as the client can tell; sending it again would only loop.
 */
function acknowledgement(answer: Record<string, unknown> | undefined, count: number): SendOutcome {
  const retry: number[] = [];
  let rejected = 0;
  const errors = Array.isArray(answer?.errors) ? (answer.errors as unknown[]) : [];
  const seen = new Set<number>();
  for (const error of errors) {
    if (typeof error !== 'object' || error === null) continue;
    const { index, reason } = error as { index?: unknown; reason?: unknown };
    if (
      typeof index !== 'number' ||
      !Number.isInteger(index) ||
      index < 0 ||
      index >= count ||
      seen.has(index)
    )
      continue;
    seen.add(index);
    if (typeof reason === 'string' && RETRYABLE_REASONS.has(reason)) retry.push(index);
    else rejected++;
  }
  return { kind: 'delivered', retry, rejected };
}

/** `Retry-After` as milliseconds from `now`: whole seconds, or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
