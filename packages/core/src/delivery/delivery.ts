import type { ErrorCode } from '../errors.js';

export type DeliveryOutcome = { ok: true } | { ok: false; code: ErrorCode; retryAfter?: string; detail: string };

/** Where accepted events go. Direct forwarding today; the durable spool and local files plug in here. */
export interface Delivery {
  deliver(events: readonly Record<string, unknown>[]): Promise<DeliveryOutcome>;
}
