import { access, constants } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRelay, createTunnel, DEFAULTS, errorResponse, matchesPath, type Relay } from '@postern/core';
import { toRelayRequest, withNodeTransport, writeRelayResponse } from '@postern/node';
import type { Logger } from 'pino';
import type { ServeConfig } from './config.js';
import { ConfigError } from './config.js';
import { createServerDelivery, type ServerDelivery } from './deliveries.js';
import { relayLogger } from './logger.js';
import { createMetrics, type RelayMetrics } from './metrics.js';
import { probeUpstream, type ProbeResult } from './upstream-probe.js';

export interface RelayServer {
  readonly server: Server;
  readonly relay: Relay;
  /** The Sentry envelope tunnel, when the config has `tunnel:`. */
  readonly tunnel?: Relay;
  readonly delivery: ServerDelivery;
  readonly metrics: RelayMetrics;
  /** Listens on the configured host and port; resolves with the bound address. */
  listen(): Promise<AddressInfo>;
  /** Stops accepting, drains requests in flight (up to `shutdownTimeoutMs`), then finishes spool writes and forwards. */
  close(): Promise<void>;
}

const UPSTREAM_PROBE_CACHE_MS = 5000;
const CLEAN_INTERVAL_MS = 3600_000;

function send(res: ServerResponse, status: number, body: string, type = 'application/json; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * Node's own limits are too lax for a public relay (headers 60 s, whole request 300 s, and both checked only
 * every 30 s): a slowloris client holds a socket for minutes. The configured timeouts apply instead, checked
 * often enough that a connection is closed (408) close to its deadline.
 */
function serverTimeouts(config: ServeConfig): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } {
  const shortest = Math.min(config.headersTimeoutMs, config.requestTimeoutMs);
  return {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(shortest / 4))),
  };
}

/**
 * The standalone relay: node:http and the engine, plus /healthz, /readyz and /metrics. Options the
 * engine refuses become a ConfigError naming the key.
 */
export function createRelayServer(config: ServeConfig, logger: Logger): RelayServer {
  const log = relayLogger(logger);
  let metrics: RelayMetrics | undefined;
  const delivery = createServerDelivery(config, log, { forward: (ms, ok) => metrics?.forward(ms, ok), spoolEvent: (event) => metrics?.spoolEvent(event) });
  const spool = delivery.spool;
  metrics = createMetrics(spool ? () => spool.spool.stats() : undefined);
  const readyMetrics = metrics;
  let relay: Relay;
  try {
    relay = createRelay({ ...config.relay, delivery: delivery.delivery, logger: log });
  } catch (error) {
    throw new ConfigError([`${config.source}: ${error instanceof Error ? error.message : String(error)}`]);
  }
  let tunnel: Relay | undefined;
  try {
    tunnel = config.tunnel ? createTunnel({ ...withNodeTransport(config.tunnel), logger: log, onMirrorResult: (result) => readyMetrics.mirror(result) }) : undefined;
  } catch (error) {
    throw new ConfigError([`${config.source}: tunnel.${error instanceof Error ? error.message : String(error)}`]);
  }

  let probe: { at: number; result: Promise<ProbeResult> } | undefined;
  const endpoint = config.relay.endpoint ?? DEFAULTS.endpoint;
  function upstream(): Promise<ProbeResult> {
    if (!probe || Date.now() - probe.at > UPSTREAM_PROBE_CACHE_MS) probe = { at: Date.now(), result: probeUpstream(endpoint, 2000) };
    return probe.result;
  }

  /**
   * Ready means "a batch sent now would be accepted": the spool (or local directory) is writable; in
   * direct mode the upstream must also answer. In durable mode an unreachable upstream is reported but
   * does not make the relay unready, since holding events through an outage is what the spool is for.
   */
  async function readiness(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    let ready = true;
    if (delivery.mode === 'durable' && spool) {
      try {
        await spool.ready();
        await access(config.relay.spoolDir, constants.W_OK);
        checks.spool = 'ok';
      } catch (error) {
        ready = false;
        checks.spool = `not writable: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    if (delivery.mode === 'local-only') {
      try {
        await access(config.relay.localEventsDir, constants.W_OK);
        checks.localEventsDir = 'ok';
      } catch {
        // Created with the first batch; the parent must be writable for that.
        checks.localEventsDir = 'not created yet';
      }
    }
    if (delivery.mode !== 'local-only') {
      const result = await upstream();
      checks.upstream = result.reachable ? 'ok' : `unreachable: ${result.error ?? 'no answer'}`;
      if (!result.reachable && delivery.mode === 'direct') ready = false;
    }
    return { ready, checks };
  }

  let inFlight = 0;
  let drained: (() => void) | undefined;
  /** One request through the relay or the tunnel: answered, counted in metrics by status and code, logged, and tracked for a graceful shutdown. */
  function answer(engine: Relay, route: 'relay' | 'tunnel', req: IncomingMessage, res: ServerResponse): void {
    const started = Date.now();
    inFlight++;
    engine
      .handle(toRelayRequest(req))
      .then((response) => {
        writeRelayResponse(req, res, response);
        const { code = 'none', ...items } = response.summary ?? {};
        if (route === 'relay') readyMetrics.request(response.status, response.summary);
        else readyMetrics.tunnelRequest(response.status, code);
        logger.info({ method: req.method, status: response.status, code, ...items, durationMs: Date.now() - started }, `${route} request`);
      })
      .catch((error: unknown) => {
        logger.error({ error: error instanceof Error ? error.message : String(error) }, `${route} request failed`);
        res.destroy();
      })
      .finally(() => {
        inFlight--;
        if (inFlight === 0) drained?.();
      });
  }
  const server = createServer(serverTimeouts(config), (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const pathname = url.split('?')[0];
    if (req.method === 'GET' && pathname === '/healthz') return send(res, 200, '{"status":"ok"}');
    if (req.method === 'GET' && pathname === '/readyz') {
      readiness().then(
        (result) => send(res, result.ready ? 200 : 503, JSON.stringify(result)),
        () => send(res, 503, '{"ready":false}'),
      );
      return;
    }
    if (req.method === 'GET' && pathname === '/metrics') {
      readyMetrics.registry.metrics().then(
        (text) => send(res, 200, text, readyMetrics.registry.contentType),
        () => send(res, 500, ''),
      );
      return;
    }
    if (matchesPath(url, relay.path)) return answer(relay, 'relay', req, res);
    if (tunnel && matchesPath(url, tunnel.path)) return answer(tunnel, 'tunnel', req, res);
    return writeRelayResponse(req, res, errorResponse('not_found', {}));
  });

  const cleaner = spool
    ? setInterval(() => {
        spool.spool
          .prune({ deliveredMaxAgeMs: config.deliveredRetentionHours * 3600_000, undeliveredMaxAgeMs: config.undeliveredRetentionDays * 86_400_000 })
          .then((result) => logger.info(result, 'spool cleaned'))
          .catch((error: unknown) => logger.error({ error: error instanceof Error ? error.message : String(error) }, 'spool clean failed'));
      }, CLEAN_INTERVAL_MS)
    : undefined;
  cleaner?.unref();

  return {
    server,
    relay,
    ...(tunnel ? { tunnel } : {}),
    delivery,
    metrics: readyMetrics,
    async listen() {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      // Start the spool now, so entries an earlier run left are forwarded without waiting for traffic.
      spool?.ready().catch((error: unknown) => logger.error({ dir: config.relay.spoolDir, error: error instanceof Error ? error.message : String(error) }, 'the spool directory is not usable; batches are refused with 503 spool_unavailable until it is'));
      return server.address() as AddressInfo;
    },
    async close() {
      clearInterval(cleaner);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => {
            drained = resolve;
          }),
          new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref()),
        ]);
      }
      server.closeAllConnections();
      await closed;
      await Promise.all([relay.close(), tunnel?.close()]);
    },
  };
}
