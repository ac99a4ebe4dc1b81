import { readSmallBody } from './upstream-body.js';
import type { Delivery, DeliveryOutcome } from './delivery.js';

export interface DirectDeliveryOptions {
  endpoint: string;
  projectToken: string;
  timeoutMs: number;
  fetch: typeof globalThis.fetch;
  userAgent: string;
}

function classify(response: Response): DeliveryOutcome {
  if (response.ok) return { ok: true };
  const status = response.status;
  const detail = `The upstream answered ${status}.`;
  const retryAfter = response.headers.get('retry-after') ?? undefined;
  if (status === 429) return { ok: false, code: 'upstream_rate_limited', status, detail, ...(retryAfter === undefined ? {} : { retryAfter }) };
  if (status === 408 || status >= 500) return { ok: false, code: 'upstream_error', status, detail, ...(status === 503 && retryAfter !== undefined ? { retryAfter } : {}) };
  return { ok: false, code: 'upstream_rejected', status, detail };
}

/** The answer's body is not needed, only the connection back: small answers are read, large ones cancelled. */
const DRAIN_LIMIT_BYTES = 64 * 1024;

/**
 * Forwards each accepted batch as `{ "events": [...] }` with the server-side token, and reports delivered
 * only on a 2xx: the browser is never told "accepted" for events the upstream did not take. The token is
 * stamped on the events here, at the last moment, so a spool on disk never holds it.
 */
export function createDirectDelivery(options: DirectDeliveryOptions): Delivery {
  const headers = {
    authorization: `Bearer ${options.projectToken}`,
    'content-type': 'application/json',
    'user-agent': options.userAgent,
  };
  return {
    async deliver(events) {
      let response: Response;
      try {
        response = await options.fetch(options.endpoint, {
          method: 'POST',
          headers,
          body: JSON.stringify({ events: events.map((event) => ({ ...event, project_token: options.projectToken })) }),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        if (name === 'TimeoutError' || name === 'AbortError') {
          return { ok: false, code: 'upstream_timeout', detail: `No answer within ${options.timeoutMs} ms.` };
        }
        return { ok: false, code: 'upstream_unreachable', detail: 'The connection to the upstream failed.' };
      }
      await readSmallBody(response, DRAIN_LIMIT_BYTES).catch(() => null);
      return classify(response);
    },
  };
}
