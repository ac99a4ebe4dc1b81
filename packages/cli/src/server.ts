import { access, constants } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createBrowserRelay,
  createTunnel,
  DEFAULTS,
  errorResponse,
  type Engine,
  type RelayResponse,
} from '@postern/core';
import { toRelayRequest, withNodeTransport, writeRelayResponse } from '@postern/node';
import type { Logger } from 'pino';
import type { ServeConfig } from './config.js';
import { ConfigError } from './config.js';
import { createServerDelivery, type ServerDelivery } from './deliveries.js';
import { relayLogger } from './logger.js';
import { createMetrics, type RelayMetrics } from './metrics.js';
import { probeUpstream, type ProbeResult } from './upstream-probe.js';

export interface RelayServer {
  /** The public listener: the relay route, the tunnel, and a constant /healthz. */
  readonly server: Server;
  /** The admin listener (/healthz, /readyz, /metrics), when `adminPort` is set. */
  readonly admin?: Server;
  readonly relay: Engine;
  /** The Sentry envelope tunnel, when the config has `tunnel:`. */
  readonly tunnel?: Engine;
  readonly delivery: ServerDelivery;
  readonly metrics: RelayMetrics;
  /** Listens on the configured host and port (and the admin listener on its own); resolves with the public address. */
  listen(): Promise<AddressInfo>;
  /** Where the admin listener is bound, once listening; undefined without one. */
  adminAddress(): AddressInfo | undefined;
  /** Stops accepting, drains requests in flight (up to `shutdownTimeoutMs`), then finishes spool writes and forwards. */
  close(): Promise<void>;
}

const UPSTREAM_PROBE_CACHE_MS = 5000;
const CLEAN_INTERVAL_MS = 3600_000;

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'application/json; charset=utf-8',
): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/** The only health answer on the public port: constant, so it tells a stranger nothing but "up". */
const HEALTHY = '{"status":"ok"}';

function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Node's own limits are too lax for a public relay (headers 60 s, whole request 300 s, and both checked only
 * every 30 s): a slowloris client holds a socket for minutes. The configured timeouts apply instead, checked
 * often enough that a connection is closed (408) close to its deadline.
 */
function serverTimeouts(config: ServeConfig): {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
} {
  const shortest = Math.min(config.headersTimeoutMs, config.requestTimeoutMs);
  return {
    headersTimeout: config.headersTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(shortest / 4))),
  };
}

/**
 * The standalone relay: node:http and the engine on the public port (which answers only a constant
 * /healthz besides the routes), and /healthz, /readyz and /metrics on the admin listener when
 * `adminPort` is set. Options the engine refuses become a ConfigError naming the key.
 */
export async function createRelayServer(config: ServeConfig, logger: Logger): Promise<RelayServer> {
  const log = relayLogger(logger);
  let metrics: RelayMetrics | undefined;
  const delivery = await createServerDelivery(config, log, {
    forward: (ms, ok) => metrics?.forward(ms, ok),
    spoolEvent: (event) => metrics?.spoolEvent(event),
  });
  const spool = delivery.spool;
  metrics = createMetrics(spool ? () => spool.stats() : undefined);
  const readyMetrics = metrics;
  let relay: Engine;
  try {
    relay = createBrowserRelay({
      ...config.relay,
      delivery: delivery.delivery,
      ...(delivery.dedupStore ? { dedupStore: delivery.dedupStore } : {}),
      logger: log,
    });
  } catch (error) {
    throw new ConfigError([
      `${config.source}: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
  let tunnel: Engine | undefined;
  try {
    tunnel = config.tunnel
      ? createTunnel({
          ...withNodeTransport(config.tunnel),
          logger: log,
          onMirrorResult: (result) => readyMetrics.mirror(result),
        })
      : undefined;
  } catch (error) {
    throw new ConfigError([
      `${config.source}: tunnel.${error instanceof Error ? error.message : String(error)}`,
    ]);
  }

  let probe: { at: number; result: Promise<ProbeResult> } | undefined;
  const endpoint = config.relay.endpoint ?? DEFAULTS.endpoint;
  function upstream(): Promise<ProbeResult> {
    if (!probe || Date.now() - probe.at > UPSTREAM_PROBE_CACHE_MS)
      probe = { at: Date.now(), result: probeUpstream(endpoint, 2000) };
    return probe.result;
  }

  /** The last detail logged per check, so a failing probe is logged when it starts failing (or fails differently), not at every poll. */
  const reported = new Map<string, string>();
  function report(check: string, state: string, detail?: string): string {
    const key = detail === undefined ? state : `${state}: ${detail}`;
    const previous = reported.get(check);
    if (previous !== key) {
      reported.set(check, key);
      if (state !== 'ok')
        logger.warn(
          { check, state, ...(detail === undefined ? {} : { detail }) },
          `readiness: ${check} ${state}`,
        );
      else if (previous !== undefined) logger.info({ check }, `readiness: ${check} ok again`);
    }
    return state;
  }

  /**
   * Ready means "a batch sent now would be accepted": the spool (or local directory) is writable; in
   * direct mode the upstream must also answer, without a redirect. In durable mode an unreachable upstream
   * is reported but does not make the relay unready, since holding events through an outage is what the
   * spool is for. Each check answers only a generic state (ok, not writable, unreachable, redirected, ...);
   * what went wrong (error text, paths, a redirect's Location) goes to the log.
   */
  async function readiness(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const checks: Record<string, string> = {};
    let ready = true;
    if (delivery.mode === 'durable' && spool) {
      try {
        await spool.ready();
        checks.spool = report('spool', 'ok');
      } catch (error) {
        ready = false;
        checks.spool = report(
          'spool',
          spool.kind === 'file' ? 'not writable' : 'unreachable',
          `${spool.where}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    if (delivery.mode === 'local-only') {
      try {
        await access(config.relay.localEventsDir, constants.W_OK);
        checks.localEventsDir = report('localEventsDir', 'ok');
      } catch {
        // Created with the first batch; the parent must be writable for that.
        checks.localEventsDir = 'not created yet';
      }
    }
    if (delivery.mode !== 'local-only') {
      const result = await upstream();
      if (!result.reachable)
        checks.upstream = report(
          'upstream',
          'unreachable',
          `${endpoint}: ${result.error ?? 'no answer'}`,
        );
      else if (result.redirected)
        checks.upstream = report(
          'upstream',
          'redirected',
          `${endpoint} answered ${String(result.status)} to ${result.location ?? '(no Location)'}; redirects are never followed: set endpoint to the final URL`,
        );
      else checks.upstream = report('upstream', 'ok');
      if (checks.upstream !== 'ok' && delivery.mode === 'direct') ready = false;
    }
    return { ready, checks };
  }

  let inFlight = 0;
  let drained: (() => void) | undefined;
  const logsRequests = logger.isLevelEnabled('info');
  /** Writes an answer, counts it in metrics by status and code, and logs it. */
  function answered(
    route: 'relay' | 'tunnel',
    req: IncomingMessage,
    res: ServerResponse,
    response: RelayResponse,
    started: number,
  ): void {
    writeRelayResponse(req, res, response);
    if (route === 'relay') readyMetrics.request(response.status, response.summary);
    else
      readyMetrics.tunnelRequest(
        response.status,
        response.summary?.code ?? 'none',
        response.summary?.dropped,
      );
    if (!logsRequests) return;
    const { code = 'none', ...items } = response.summary ?? {};
    logger.info(
      {
        method: req.method,
        status: response.status,
        code,
        ...items,
        durationMs: Date.now() - started,
      },
      `${route} request`,
    );
  }

  /**
   * One request through the relay or the tunnel. An answer known at once (a refusal) is written at once;
   * one that waits for the body or the upstream is tracked for a graceful shutdown.
   */
  function answer(
    engine: Engine,
    route: 'relay' | 'tunnel',
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    const started = Date.now();
    const failed = (error: unknown): void => {
      logger.error(
        { error: error instanceof Error ? error.message : String(error) },
        `${route} request failed`,
      );
      res.destroy();
    };
    const response = engine.answer(toRelayRequest(req));
    if (!(response instanceof Promise)) {
      try {
        answered(route, req, res, response, started);
      } catch (error) {
        failed(error);
      }
      return;
    }
    inFlight++;
    response
      .then((done) => answered(route, req, res, done, started))
      .catch(failed)
      .finally(() => {
        inFlight--;
        if (inFlight === 0) drained?.();
      });
  }
  // The public port: the routes, and a constant /healthz for a load balancer. /readyz and /metrics are 404 here.
  const server = createServer(
    serverTimeouts(config),
    (req: IncomingMessage, res: ServerResponse) => {
      const url = req.url ?? '/';
      if (req.method === 'GET' && url.split('?')[0] === '/healthz') return send(res, 200, HEALTHY);
      if (relay.matches(url)) return answer(relay, 'relay', req, res);
      if (tunnel?.matches(url)) return answer(tunnel, 'tunnel', req, res);
      return writeRelayResponse(req, res, errorResponse('not_found', {}));
    },
  );

  let rendering: Promise<string> | undefined;
  // The admin listener: health, readiness and metrics, for an orchestrator and Prometheus, never the public.
  const admin = config.admin
    ? createServer(serverTimeouts(config), (req: IncomingMessage, res: ServerResponse) => {
        const pathname = (req.url ?? '/').split('?')[0];
        if (req.method !== 'GET' && req.method !== 'HEAD')
          return send(res, 405, '{"error":"method_not_allowed"}');
        if (pathname === '/healthz') return send(res, 200, HEALTHY);
        if (pathname === '/readyz') {
          readiness().then(
            (result) => send(res, result.ready ? 200 : 503, JSON.stringify(result)),
            (error: unknown) => {
              logger.error(
                { error: error instanceof Error ? error.message : String(error) },
                'readiness check failed',
              );
              send(res, 503, '{"ready":false}');
            },
          );
          return;
        }
        if (pathname === '/metrics') {
          // Scrapes that arrive while one is being rendered share it (the spool gauges are cached apart, for a second).
          rendering ??= readyMetrics.registry.metrics().finally(() => {
            rendering = undefined;
          });
          rendering.then(
            (text) => send(res, 200, text, readyMetrics.registry.contentType),
            (error: unknown) => {
              logger.error(
                { error: error instanceof Error ? error.message : String(error) },
                'metrics collection failed',
              );
              send(res, 500, '');
            },
          );
          return;
        }
        return send(res, 404, '{"error":"not_found"}');
      })
    : undefined;
  let adminBound: AddressInfo | undefined;

  const cleaner = spool
    ? setInterval(() => {
        spool
          .prune({
            deliveredMaxAgeMs: config.deliveredRetentionHours * 3600_000,
            undeliveredMaxAgeMs: config.undeliveredRetentionDays * 86_400_000,
          })
          .then((result) => logger.info(result, 'spool cleaned'))
          .catch((error: unknown) =>
            logger.error(
              { error: error instanceof Error ? error.message : String(error) },
              'spool clean failed',
            ),
          );
      }, CLEAN_INTERVAL_MS)
    : undefined;
  cleaner?.unref();

  return {
    server,
    ...(admin ? { admin } : {}),
    relay,
    ...(tunnel ? { tunnel } : {}),
    delivery,
    metrics: readyMetrics,
    async listen() {
      const bound = await listenOn(server, config.port, config.host);
      if (admin && config.admin) {
        try {
          adminBound = await listenOn(admin, config.admin.port, config.admin.host);
        } catch (error) {
          await new Promise<void>((resolve) => server.close(() => resolve()));
          const code = (error as NodeJS.ErrnoException).code;
          throw new ConfigError([
            `adminPort: cannot listen on ${config.admin.host}:${config.admin.port} (${code ?? String(error)}). Fix: set adminPort to a free port (another postern serve on this host?), or adminHost to an address of this machine.`,
          ]);
        }
      }
      // Start the spool now, so entries an earlier run left are forwarded without waiting for traffic. A
      // Redis spool is waited for (5 s at most) so the first batches do not meet a connection still opening.
      if (spool) {
        const starting = spool.ready();
        starting.catch((error: unknown) =>
          logger.error(
            { spool: spool.where, error: error instanceof Error ? error.message : String(error) },
            spool.kind === 'file'
              ? 'the spool directory is not usable; batches are refused with 503 spool_unavailable until it is'
              : 'the Redis spool cannot be reached; batches are refused with 503 spool_unavailable until it can',
          ),
        );
        if (spool.kind === 'redis') await starting.catch(() => undefined);
      }
      return bound;
    },
    adminAddress: () => adminBound,
    async close() {
      clearInterval(cleaner);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const adminClosed = admin?.listening
        ? new Promise<void>((resolve) => admin.close(() => resolve()))
        : undefined;
      admin?.closeAllConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => {
            drained = resolve;
          }),
          new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref()),
        ]);
      }
      server.closeAllConnections();
      await Promise.all([closed, adminClosed]);
      await Promise.all([relay.close(), tunnel?.close()]);
      await delivery.dispose();
    },
  };
}
