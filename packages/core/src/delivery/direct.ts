import type { Delivery, DeliveryOutcome } from './delivery.js';
import { UpstreamFailure, type UpstreamReply, type UpstreamTransport } from './transport.js';

export interface DirectDeliveryOptions {
  endpoint: string;
  projectToken: string;
  timeoutMs: number;
  transport: UpstreamTransport;
  userAgent: string;
}

function classify(reply: UpstreamReply): DeliveryOutcome {
  const status = reply.status;
  if (status >= 200 && status < 300) return { ok: true };
  const detail = `The upstream answered ${status}.`;
  const retryAfter = reply.header('retry-after');
  if (status === 429)
    return {
      ok: false,
      code: 'upstream_rate_limited',
      status,
      detail,
      ...(retryAfter === undefined ? {} : { retryAfter }),
    };
  if (status === 408 || status >= 500)
    return {
      ok: false,
      code: 'upstream_error',
      status,
      detail,
      ...(status === 503 && retryAfter !== undefined ? { retryAfter } : {}),
    };
  return { ok: false, code: 'upstream_rejected', status, detail };
}

/** The answer's body is not needed, only the connection back: small answers are read, large ones dropped. */
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
      const body = JSON.stringify({
        events: events.map((event) => ({ ...event, project_token: options.projectToken })),
      });
      let reply: UpstreamReply;
      try {
        reply = await options.transport.post(options.endpoint, headers, body, options.timeoutMs);
      } catch (error) {
        if (error instanceof UpstreamFailure && error.kind === 'timeout')
          return { ok: false, code: 'upstream_timeout', detail: error.message };
        return {
          ok: false,
          code: 'upstream_unreachable',
          detail: 'The connection to the upstream failed.',
        };
      }
      await reply.readSmall(DRAIN_LIMIT_BYTES).catch(() => null);
      return classify(reply);
    },
  };
}
