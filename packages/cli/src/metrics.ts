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
  tunnelRequest(status: number, code: string): void;
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

/** The server's Prometheus metrics; spool gauges are read from the directory at scrape time, so they are true across restarts. */
export function createMetrics(spoolStats?: () => Promise<SpoolStats>): RelayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const requests = new Counter({ name: 'postern_requests_total', help: 'Relay requests answered, by outcome and error code.', labelNames: ['outcome', 'code'], registers });
  const items = new Counter({
    name: 'postern_events_total',
    help: 'Events of relayed batches: accepted (forwarded or stored), duplicate (delivered before, not forwarded again), filtered (dropped by a hook) or rejected, by item code.',
    labelNames: ['outcome', 'code'],
    registers,
  });
  const tunnelRequests = new Counter({ name: 'postern_tunnel_requests_total', help: 'Sentry tunnel requests answered, by status and error code.', labelNames: ['status', 'code'], registers });
  const mirrors = new Counter({ name: 'postern_tunnel_mirror_total', help: 'Mirror copies of envelopes, by target project and result (ok, an HTTP status, or an error code).', labelNames: ['target', 'result'], registers });
  const forwardSeconds = new Histogram({
    name: 'postern_upstream_forward_duration_seconds',
    help: 'Time for one upstream POST, by result.',
    labelNames: ['result'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const attempts = new Counter({ name: 'postern_redelivery_attempts_total', help: 'Spool entries sent upstream, by result.', labelNames: ['result'], registers });
  const quarantined = new Counter({ name: 'postern_spool_quarantined_total', help: 'Spool entries the upstream refused for good (4xx other than 408/429).', registers });
  const evicted = new Counter({ name: 'postern_spool_evicted_total', help: 'Spool entries removed to stay under maxSpoolBytes, by state.', labelNames: ['reason'], registers });
  const refused = new Counter({ name: 'postern_spool_refused_total', help: 'Batches refused because they could not be stored, by code.', labelNames: ['code'], registers });
  const pruned = new Counter({ name: 'postern_spool_pruned_total', help: 'Spool entries removed by retention, by state.', labelNames: ['state'], registers });
  if (spoolStats) {
    new Gauge({
      name: 'postern_spool_entries',
      help: 'Spool entries by state (pending and inflight are owed to the upstream).',
      labelNames: ['state'],
      registers,
      async collect() {
        const stats = await spoolStats().catch(() => undefined);
        if (!stats) return;
        for (const state of ['pending', 'inflight', 'delivered', 'quarantined'] as const) this.set({ state }, stats[state]);
      },
    });
    new Gauge({
      name: 'postern_spool_bytes',
      help: 'Bytes in the spool: all entries, and those not yet delivered.',
      labelNames: ['kind'],
      registers,
      async collect() {
        const stats = await spoolStats().catch(() => undefined);
        if (!stats) return;
        this.set({ kind: 'total' }, stats.bytes);
        this.set({ kind: 'undelivered' }, stats.undeliveredBytes);
      },
    });
  }
  return {
    registry,
    request(status, summary) {
      const code = summary?.code ?? 'none';
      const rejected = Object.entries(summary?.rejected ?? {});
      const outcome = status === 204 ? 'preflight' : summary?.code !== undefined ? 'refused' : rejected.length > 0 ? 'partial' : 'accepted';
      requests.inc({ outcome, code });
      const { accepted = 0, duplicates = 0, filtered = 0 } = summary ?? {};
      if (accepted - duplicates - filtered > 0) items.inc({ outcome: 'accepted', code: 'none' }, accepted - duplicates - filtered);
      if (duplicates > 0) items.inc({ outcome: 'duplicate', code: 'none' }, duplicates);
      if (filtered > 0) items.inc({ outcome: 'filtered', code: 'none' }, filtered);
      for (const [itemCode, count] of rejected) if (count) items.inc({ outcome: 'rejected', code: itemCode }, count);
    },
    tunnelRequest(status, code) {
      tunnelRequests.inc({ status: String(status), code });
    },
    mirror(result) {
      mirrors.inc({ target: mirrorTarget(result.dsn), result: result.ok ? 'ok' : (result.code ?? String(result.status)) });
    },
    forward(durationMs, ok) {
      forwardSeconds.observe({ result: ok ? 'ok' : 'failed' }, durationMs / 1000);
    },
    spoolEvent(event) {
      if (event.type === 'attempt') attempts.inc({ result: event.ok ? 'delivered' : (event.code ?? 'failed') });
      else if (event.type === 'quarantined') quarantined.inc();
      else if (event.type === 'evicted') evicted.inc({ reason: event.reason });
      else if (event.type === 'refused') refused.inc({ code: event.code });
      else if (event.type === 'pruned') pruned.inc({ state: event.state });
    },
  };
}
