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

/**
 * The answer's body is not needed, but the connection only returns to the pool once it is released. Small
 * answers are read to the end: cancelling costs more (undici aborts the fetch and builds an AbortError
 * for it, ~3 % of relay CPU in a profile of the forward path).
 */
const DRAIN_LIMIT_BYTES = 64 * 1024;

async function releaseBody(response: Response): Promise<void> {
  if (response.body === null) return;
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  if (length <= DRAIN_LIMIT_BYTES) await response.arrayBuffer().catch(() => undefined);
  else await response.body.cancel().catch(() => undefined);
}

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
      await releaseBody(response);
      return classify(response);
    },
  };
}
