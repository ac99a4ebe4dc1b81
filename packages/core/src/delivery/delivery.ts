import type { ErrorCode } from '../errors.js';

/** `status` is the upstream's HTTP status when it answered; the redelivery worker tells permanent from transient failures by it. */
export type DeliveryOutcome =
  | { ok: true }
  | { ok: false; code: ErrorCode; retryAfter?: string; status?: number; detail: string };

/**
 * Where accepted events go: forwarded directly (`direct.ts`), stored in a spool and forwarded by a worker
 * (`../spool/spool-delivery.ts`), or written as local files (`../spool/local-delivery.ts`). `ok` means the
 * events are safe to answer 202 for: delivered upstream, or durably stored.
 */
export interface Delivery {
  deliver(events: readonly Record<string, unknown>[]): Promise<DeliveryOutcome>;
  /** Stops background work and waits for writes and forwards in progress. */
  close?(): Promise<void>;
}
