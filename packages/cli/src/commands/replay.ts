import { resolveDeliverySettings } from '@postern/core';
import { createRedeliveryWorker } from '@postern/core/spool';
import type { ServeConfig } from '../config.js';
import { createServerDelivery } from '../deliveries.js';
import type { Output } from '../output.js';
import { openConfiguredSpool } from './open-spool.js';

/**
 * Forwards every undelivered spool entry now, ignoring backoff, with a live counter on a terminal. Safe
 * next to a running server on the same spool: each entry is claimed before it is sent.
 */
export async function replay(config: ServeConfig, out: Output, tty: boolean): Promise<number> {
  const settings = resolveDeliverySettings(config.relay);
  if (settings.mode === 'local-only') {
    out.error('postern replay: projectMode is local-only, so there is no upstream to replay to.');
    return 2;
  }
  if (config.spoolRedis) {
    out.error(
      'postern replay: the spool is in Redis, where every running instance forwards it (after a pause the upstream asked for, one probes first); there is nothing to replay from here. "postern doctor" shows the backlog.',
    );
    return 2;
  }
  const { forward } = await createServerDelivery(
    { ...config, relay: { ...config.relay, durableWrite: false } },
    { warn: () => undefined, error: () => undefined },
  );
  const spool = await openConfiguredSpool(config, 'replay', out);
  if (!spool) return 1;
  const worker = createRedeliveryWorker({
    spool,
    forward: forward as NonNullable<typeof forward>,
    concurrency: settings.redeliveryConcurrency,
    retryBaseMs: settings.retryBaseMs,
    retryMaxMs: settings.retryMaxMs,
    scanIntervalMs: 60_000,
  });
  const totals = await worker.drain((done) => {
    if (tty && !out.json)
      process.stdout.write(
        `\rreplaying: ${done.delivered + done.failed}/${done.total}  delivered ${done.delivered}  failed ${done.failed}`,
      );
  });
  await worker.close();
  if (tty && !out.json && totals.total > 0) process.stdout.write('\n');
  out.result(totals);
  out.line(
    `Replayed ${totals.total} entries: ${totals.delivered} delivered, ${totals.failed} still failing (kept for the next try), ${totals.quarantined} refused for good (quarantined).`,
  );
  return totals.failed + totals.quarantined > 0 ? 1 : 0;
}
