import type { MirrorResult, ResponseSummary, SpoolEvent } from '@postern/core';
import type { SpoolStats } from '@postern/core/spool';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface RelayMetrics {
  registry: Registry;
  /**
   * One answered relay request: `outcome` is accepted, partial (some items rejected), preflight or refused,
   * and its items are counted by what became of them (rejections by item code).
   */
  request(status: number, summary: ResponseSummary | undefined): void;
  /** One answered tunnel request: Sentry's status (or the tunnel's own refusal) and the error code, if any. */
  /** One tunnel answer, and the envelope items it removed before forwarding (`summary.dropped`). */
  tunnelRequest(status: number, code: string, dropped?: ResponseSummary['dropped']): void;
  /** One mirror copy of an envelope (a secondary `forwardTo` DSN). */
  mirror(result: MirrorResult): void;
  forward(durationMs: number, ok: boolean): void;
  spoolEvent(event: SpoolEvent): void;
}

/** A mirror DSN as a label: host and project id, without the public key. */
function mirrorTarget(dsn: string): string {
  try {
    const url = new URL(dsn);
    return `${url.host}${url.pathname}`;
  } catch {
    return 'unknown';
  }
}

/** What the gauges read: a spool's statistics, with the consumers of a Redis spool (each relay of the fleet). */
export type GaugedSpoolStats = SpoolStats & {
  consumers?: readonly { name: string; pending: number; idleMs: number }[];
};

/** How long one read of the spool directory serves scrapes: at most one read per second, however many scrapers. */
export const SPOOL_STATS_MAX_AGE_MS = 1000;

/**
 * Spool statistics for scrapes. Reading them lists the directory and stats every entry (3 000 entries took
 * 160–180 ms, on the thread pool the spool's own writes and fsyncs wait for), so: one read at a time,
 * shared by every scrape that arrives while it runs, and its result (or its failure) reused for `maxAgeMs`
 * after it ends. The gauges are at most that much behind the directory.
 */
export function cachedSpoolStats(
  read: () => Promise<GaugedSpoolStats>,
  maxAgeMs = SPOOL_STATS_MAX_AGE_MS,
  now: () => number = Date.now,
): () => Promise<GaugedSpoolStats> {
  let last: { at: number; result: Promise<GaugedSpoolStats> } | undefined;
  let reading: Promise<GaugedSpoolStats> | undefined;
  return () => {
    if (reading) return reading;
    if (last && now() - last.at < maxAgeMs) return last.result;
    const result = read();
    reading = result;
    const settle = (): void => {
      last = { at: now(), result };
      reading = undefined;
    };
    result.then(settle, settle);
    return result;
  };
}

/**
 * The server's Prometheus metrics. Spool gauges come from the directory (so they are true across restarts
 * and for entries other processes wrote), read through `cachedSpoolStats`.
 */
export function createMetrics(
  spoolStats?: () => Promise<GaugedSpoolStats>,
  options: { spoolStatsMaxAgeMs?: number } = {},
): RelayMetrics {
  const stats = spoolStats ? cachedSpoolStats(spoolStats, options.spoolStatsMaxAgeMs) : undefined;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requests = new Counter({
    name: 'postern_requests_total',
    help: 'Relay requests answered, by outcome and error code.',
    labelNames: ['outcome', 'code'],
    registers,
  });
  const items = new Counter({
    name: 'postern_events_total',
    help: 'Events of relayed batches: accepted (forwarded or stored), duplicate (delivered before, not forwarded again), filtered (dropped by a hook) or rejected, by item code.',
    labelNames: ['outcome', 'code'],
    registers,
  });
  const tunnelRequests = new Counter({
    name: 'postern_tunnel_requests_total',
    help: 'Sentry tunnel requests answered, by status and error code.',
    labelNames: ['status', 'code'],
    registers,
  });
  const droppedItems = new Counter({
    name: 'postern_tunnel_items_dropped_total',
    help: 'Sentry envelope items the tunnel removed before forwarding, by reason: item_type (dropItems, allowItems), error_message or release (eventFilters).',
    labelNames: ['reason'],
    registers,
  });
  const mirrors = new Counter({
    name: 'postern_tunnel_mirror_total',
    help: 'Mirror copies of envelopes, by target project and result (ok, an HTTP status, or an error code).',
    labelNames: ['target', 'result'],
    registers,
  });
  const forwardSeconds = new Histogram({
    name: 'postern_upstream_forward_duration_seconds',
    help: 'Time for one upstream POST, by result.',
    labelNames: ['result'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const attempts = new Counter({
    name: 'postern_redelivery_attempts_total',
    help: 'Spool entries sent upstream, by result.',
    labelNames: ['result'],
    registers,
  });
  const quarantined = new Counter({
    name: 'postern_spool_quarantined_total',
    help: 'Spool entries the upstream refused for good (4xx other than 408/429).',
    registers,
  });
  const evicted = new Counter({
    name: 'postern_spool_evicted_total',
    help: 'Spool entries removed to stay under maxSpoolBytes, by state.',
    labelNames: ['reason'],
    registers,
  });
  const refused = new Counter({
    name: 'postern_spool_refused_total',
    help: 'Batches refused because they could not be stored, by code.',
    labelNames: ['code'],
    registers,
  });
  const pruned = new Counter({
    name: 'postern_spool_pruned_total',
    help: 'Spool entries removed by retention, by state.',
    labelNames: ['state'],
    registers,
  });
  if (stats) {
    new Gauge({
      name: 'postern_spool_entries',
      help: 'Spool entries by state (pending and inflight are owed to the upstream).',
      labelNames: ['state'],
      registers,
      async collect() {
        const current = await stats().catch(() => undefined);
        if (!current) return;
        for (const state of ['pending', 'inflight', 'delivered', 'quarantined'] as const)
          this.set({ state }, current[state]);
      },
    });
    new Gauge({
      name: 'postern_spool_bytes',
      help: 'Bytes in the spool: all entries, and those not yet delivered.',
      labelNames: ['kind'],
      registers,
      async collect() {
        const current = await stats().catch(() => undefined);
        if (!current) return;
        this.set({ kind: 'total' }, current.bytes);
        this.set({ kind: 'undelivered' }, current.undeliveredBytes);
      },
    });
    new Gauge({
      name: 'postern_spool_oldest_undelivered_age_seconds',
      help: 'Age of the oldest entry still owed to the upstream; 0 when there is none.',
      registers,
      async collect() {
        const current = await stats().catch(() => undefined);
        if (!current) return;
        const oldest = current.oldestUndeliveredAt;
        this.set(oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
      },
    });
    new Gauge({
      name: 'postern_spool_consumer_pending',
      help: 'Redis spool only: entries each relay of the fleet holds (read, not yet acknowledged), by consumer name.',
      labelNames: ['consumer'],
      registers,
      async collect() {
        const current = await stats().catch(() => undefined);
        if (!current?.consumers) return;
        // A consumer that left the group drops out of the scrape rather than reporting its last value forever.
        this.reset();
        for (const consumer of current.consumers)
          this.set({ consumer: consumer.name }, consumer.pending);
      },
    });
  }
  return {
    registry,
    request(status, summary) {
      const code = summary?.code ?? 'none';
      const rejected = Object.entries(summary?.rejected ?? {});
      const outcome =
        status === 204
          ? 'preflight'
          : summary?.code !== undefined
            ? 'refused'
            : rejected.length > 0
              ? 'partial'
              : 'accepted';
      requests.inc({ outcome, code });
      const { accepted = 0, duplicates = 0, filtered = 0 } = summary ?? {};
      if (accepted - duplicates - filtered > 0)
        items.inc({ outcome: 'accepted', code: 'none' }, accepted - duplicates - filtered);
      if (duplicates > 0) items.inc({ outcome: 'duplicate', code: 'none' }, duplicates);
      if (filtered > 0) items.inc({ outcome: 'filtered', code: 'none' }, filtered);
      for (const [itemCode, count] of rejected)
        if (count) items.inc({ outcome: 'rejected', code: itemCode }, count);
    },
    tunnelRequest(status, code, dropped) {
      tunnelRequests.inc({ status: String(status), code });
      for (const [reason, count] of Object.entries(dropped ?? {}))
        if (count) droppedItems.inc({ reason }, count);
    },
    mirror(result) {
      mirrors.inc({
        target: mirrorTarget(result.dsn),
        result: result.ok ? 'ok' : (result.code ?? String(result.status)),
      });
    },
    forward(durationMs, ok) {
      forwardSeconds.observe({ result: ok ? 'ok' : 'failed' }, durationMs / 1000);
    },
    spoolEvent(event) {
      if (event.type === 'attempt')
        attempts.inc({ result: event.ok ? 'delivered' : (event.code ?? 'failed') });
      else if (event.type === 'quarantined') quarantined.inc();
      else if (event.type === 'evicted') evicted.inc({ reason: event.reason });
      else if (event.type === 'refused') refused.inc({ code: event.code });
      else if (event.type === 'pruned') pruned.inc({ state: event.state });
    },
  };
}
