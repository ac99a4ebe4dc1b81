import type { ServeConfig } from '../config.js';
import { createServerDelivery } from '../deliveries.js';
import type { Output } from '../output.js';
import { openConfiguredSpool } from './open-spool.js';

export interface CleanOptions {
  deliveredHours?: number;
  undeliveredDays?: number;
}

/** Applies retention to the spool: delivered entries older than 24 h, undelivered older than 7 days (configurable). */
export async function clean(
  config: ServeConfig,
  options: CleanOptions,
  out: Output,
): Promise<number> {
  const deliveredHours = options.deliveredHours ?? config.deliveredRetentionHours;
  const undeliveredDays = options.undeliveredDays ?? config.undeliveredRetentionDays;
  if (config.spoolRedis) return cleanRedis(config, deliveredHours, undeliveredDays, out);
  const spool = await openConfiguredSpool(config, 'clean', out);
  if (!spool) return 1;
  const result = await spool.prune({
    deliveredMaxAgeMs: deliveredHours * 3600_000,
    undeliveredMaxAgeMs: undeliveredDays * 86_400_000,
  });
  const stats = await spool.stats();
  out.result({ spoolDir: config.relay.spoolDir, removed: result, remaining: stats });
  out.line(
    `Removed ${result.delivered} delivered (older than ${deliveredHours} h), ${result.undelivered} undelivered and ${result.quarantined} quarantined (older than ${undeliveredDays} d): ${result.bytes} bytes.`,
  );
  if (result.undelivered > 0)
    out.line(`Warning: ${result.undelivered} entries were never delivered; their events are gone.`);
  out.line(
    `Left: ${stats.pending + stats.inflight} undelivered, ${stats.delivered} delivered, ${stats.quarantined} quarantined (${stats.bytes} bytes) in ${config.relay.spoolDir}`,
  );
  return 0;
}

/** The Redis spool keeps no delivered entries (each is removed once the upstream takes it): retention is for undelivered and quarantined ones. */
async function cleanRedis(
  config: ServeConfig,
  deliveredHours: number,
  undeliveredDays: number,
  out: Output,
): Promise<number> {
  const { spool, dispose } = await createServerDelivery(config, {
    warn: () => undefined,
    error: () => undefined,
  });
  try {
    if (!spool) throw new Error('durableWrite is not true');
    await spool.check();
    const result = await spool.prune({
      deliveredMaxAgeMs: deliveredHours * 3600_000,
      undeliveredMaxAgeMs: undeliveredDays * 86_400_000,
    });
    const stats = await spool.stats();
    out.result({ spool: spool.where, removed: result, remaining: stats });
    out.line(
      `Removed ${result.undelivered} undelivered and ${result.quarantined} quarantined entries older than ${undeliveredDays} d: ${result.bytes} bytes.`,
    );
    if (result.undelivered > 0)
      out.line(
        `Warning: ${result.undelivered} entries were never delivered; their events are gone.`,
      );
    out.line(
      `Left: ${stats.pending + stats.inflight} undelivered, ${stats.quarantined} quarantined (${stats.bytes} bytes) in ${spool.where}`,
    );
    return 0;
  } catch (error) {
    out.error(
      `postern clean: the Redis spool ${config.spoolRedis?.url} is not usable: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  } finally {
    await dispose();
  }
}
