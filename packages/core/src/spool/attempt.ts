import type { DeliveryOutcome } from '../delivery/delivery.js';
import type { SpoolEvent } from '../options.js';

/** The `attempt` event for one upstream POST of a spool entry, whichever spool (directory or Redis) holds it. */
export function attemptEvent(
  outcome: DeliveryOutcome,
  durationMs: number,
  redelivery: boolean,
): SpoolEvent {
  if (outcome.ok) return { type: 'attempt', ok: true, durationMs, redelivery };
  return {
    type: 'attempt',
    ok: false,
    code: outcome.code,
    durationMs,
    redelivery,
    ...(outcome.status === undefined ? {} : { status: outcome.status }),
  };
}
