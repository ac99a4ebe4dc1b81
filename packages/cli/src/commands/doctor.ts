import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTunnel, DEFAULTS, resolveDeliverySettings } from '@postern/core';
import { openFileSpool } from '@postern/core/spool';
import { ADMIN_DEFAULTS, ConfigError, type ServeConfig } from '../config.js';
import { createServerDelivery } from '../deliveries.js';
import type { Output } from '../output.js';
import { testBatch } from '../test-event.js';
import { probeUpstream, REDIRECT_STATUSES } from '../upstream-probe.js';

export type Verdict = 'pass' | 'warn' | 'fail' | 'skip';

export interface Check {
  name: string;
  verdict: Verdict;
  detail: string;
  fix?: string;
}

export interface DoctorOptions {
  load: () => Promise<ServeConfig>;
  /** A running relay's route URL: checked over HTTP as the contract says. */
  url?: string;
  /** The origin to send as; default the first allowed origin, else the URL's own. */
  origin?: string;
}

const errorText = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** A redirect as doctor reports it: what answered, and where it pointed; never followed. */
function redirectText(response: Response): string {
  return `a redirect (${response.status} to ${response.headers.get('location') ?? '(no Location)'}), which is not followed`;
}

async function checkDirectory(name: string, dir: string): Promise<Check> {
  const probe = join(dir, `.postern-doctor-${randomBytes(4).toString('hex')}`);
  try {
    // As the relay creates it: for its own user only (the events in it are the users' data).
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(probe, 'probe', { mode: 0o600 });
    await rm(probe);
  } catch (error) {
    return {
      name,
      verdict: 'fail',
      detail: `${dir} is not writable: ${errorText(error)}`,
      fix: `create it and give the relay's user write access, or point ${name} at a persistent writable directory`,
    };
  }
  const mode = (await stat(dir)).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    return {
      name,
      verdict: 'warn',
      detail: `${dir} is writable, but other users may open it (mode ${mode.toString(8).padStart(4, '0')})`,
      fix: `chmod 700 ${dir}: the relay creates its files 0600 and its directories 0700, but a directory made before (or by hand) keeps its mode`,
    };
  }
  return { name, verdict: 'pass', detail: `${dir} is writable` };
}

async function checkBacklog(config: ServeConfig): Promise<Check> {
  const spool = openFileSpool({
    dir: config.relay.spoolDir,
    maxBytes: Number.MAX_SAFE_INTEGER,
    leaseMs: 15_000,
  });
  const stats = await spool.stats();
  const undelivered = stats.pending + stats.inflight;
  const ageMinutes =
    stats.oldestUndeliveredAt === undefined
      ? 0
      : Math.round((Date.now() - stats.oldestUndeliveredAt) / 60_000);
  const detail = `${undelivered} undelivered (oldest ${ageMinutes} min), ${stats.delivered} delivered, ${stats.quarantined} quarantined; ${stats.bytes} of ${config.relay.maxSpoolBytes ?? DEFAULTS.maxSpoolBytes} bytes`;
  if (stats.quarantined > 0)
    return {
      name: 'spool backlog',
      verdict: 'warn',
      detail,
      fix: 'the upstream refused quarantined entries for good (see the log for the status); inspect the *.quarantined files, then remove them or run "postern clean"',
    };
  if (undelivered > 0 && ageMinutes >= 10)
    return {
      name: 'spool backlog',
      verdict: 'warn',
      detail,
      fix: 'the upstream has not taken these for a while: check the upstream checks below, then "postern replay"',
    };
  return { name: 'spool backlog', verdict: 'pass', detail };
}

/** `INFO persistence` (allowed where CONFIG is not, as on managed Redis) as field → value. */
function infoFields(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

/** What an acknowledged batch survives with this Redis's persistence, as the README's table says. */
async function checkRedisPersistence(url: string): Promise<Check> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    const info = infoFields(String(await client.call('INFO', 'persistence')));
    let fsync: string | undefined;
    try {
      fsync = String(((await client.call('CONFIG', 'GET', 'appendfsync')) as string[])[1] ?? '');
    } catch {
      fsync = undefined; // CONFIG is often disabled on managed Redis; INFO still says whether AOF is on
    }
    if (info.aof_enabled !== '1')
      return {
        name: 'spool persistence',
        verdict: 'warn',
        detail:
          'appendonly is off: a batch answered 202 is lost if Redis restarts before its next snapshot',
        fix: 'run Redis with appendonly yes (and appendfsync always to survive a machine crash); see the README, "A spool the fleet shares"',
      };
    if (fsync === 'always')
      return {
        name: 'spool persistence',
        verdict: 'pass',
        detail:
          'appendonly yes, appendfsync always: every acknowledged batch is on disk before the 202',
      };
    return {
      name: 'spool persistence',
      verdict: 'pass',
      detail: `appendonly yes, appendfsync ${fsync || '(unknown: CONFIG is disabled)'}: a Redis restart loses nothing; a machine crash may lose up to a second of batches`,
    };
  } catch (error) {
    return {
      name: 'spool persistence',
      verdict: 'skip',
      detail: `could not ask Redis: ${errorText(error)}`,
    };
  } finally {
    client.disconnect();
  }
}

async function checkRedisSpool(
  config: ServeConfig & { spoolRedis: { url: string } },
): Promise<Check[]> {
  const { spool, dispose } = await createServerDelivery(config, {
    warn: () => undefined,
    error: () => undefined,
  });
  try {
    await spool?.check();
  } catch (error) {
    await dispose();
    return [
      {
        name: 'spool (Redis)',
        verdict: 'fail',
        detail: `${config.spoolRedis.url}: ${errorText(error)}`,
        fix: 'start Redis, or correct spoolRedis; until it answers every batch is refused 503 spool_unavailable',
      },
    ];
  }
  try {
    const stats = await (spool as NonNullable<typeof spool>).stats();
    const undelivered = stats.pending + stats.inflight;
    const ageMinutes =
      stats.oldestUndeliveredAt === undefined
        ? 0
        : Math.round((Date.now() - stats.oldestUndeliveredAt) / 60_000);
    const holders = (stats.consumers ?? []).filter((consumer) => consumer.pending > 0);
    const detail = `${undelivered} undelivered (oldest ${ageMinutes} min; ${holders.map((one) => `${one.name} holds ${one.pending}`).join(', ') || 'none held'}), ${stats.quarantined} quarantined; ${stats.bytes} of ${config.relay.maxSpoolBytes ?? DEFAULTS.maxSpoolBytes} bytes`;
    const checks: Check[] = [
      {
        name: 'spool (Redis)',
        verdict: 'pass',
        detail: `${config.spoolRedis.url} answers, stream ${spool?.where}`,
      },
    ];
    if (stats.quarantined > 0)
      checks.push({
        name: 'spool backlog',
        verdict: 'warn',
        detail,
        fix: 'the upstream refused quarantined entries for good (see the log for the status); read them with XRANGE on the quarantine stream, then "postern clean" or XDEL',
      });
    else if (undelivered > 0 && ageMinutes >= 10)
      checks.push({
        name: 'spool backlog',
        verdict: 'warn',
        detail,
        fix: 'the upstream has not taken these for a while: check the upstream checks below; every running instance retries them',
      });
    else checks.push({ name: 'spool backlog', verdict: 'pass', detail });
    checks.push(await checkRedisPersistence(config.spoolRedis.url));
    return checks;
  } finally {
    await dispose();
  }
}

async function checkUpstream(config: ServeConfig): Promise<Check[]> {
  const endpoint = config.relay.endpoint ?? DEFAULTS.endpoint;
  const probe = await probeUpstream(endpoint, 5000);
  if (probe.redirected) {
    return [
      {
        name: 'upstream reachable',
        verdict: 'fail',
        detail: `${endpoint} answered a redirect (${String(probe.status)} to ${probe.location ?? '(no Location)'}), which is not followed`,
        fix: 'the relay never follows redirects: set endpoint to the URL the events should go to',
      },
      {
        name: 'upstream accepts the token',
        verdict: 'skip',
        detail: 'the endpoint redirects; the token was not sent',
      },
    ];
  }
  if (!probe.reachable) {
    return [
      {
        name: 'upstream reachable',
        verdict: 'fail',
        detail: `${endpoint}: ${probe.error ?? 'no answer'}`,
        fix: 'check endpoint, DNS, the network path and any egress proxy',
      },
      {
        name: 'upstream accepts the token',
        verdict: 'skip',
        detail: 'the upstream cannot be reached',
      },
    ];
  }
  const checks: Check[] = [
    {
      name: 'upstream reachable',
      verdict: 'pass',
      detail: `${endpoint} answered HTTP ${probe.status} in ${probe.ms} ms`,
    },
  ];
  // An empty batch carries no events, so asking with it only tests the credential.
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${config.relay.projectToken ?? ''}`,
        'content-type': 'application/json',
      },
      body: '{"events":[]}',
      // Never follow: the token must go to the configured endpoint and nowhere else.
      redirect: 'manual',
      signal: AbortSignal.timeout(5000),
    });
    await response.body?.cancel().catch(() => undefined);
    if (REDIRECT_STATUSES.has(response.status))
      checks.push({
        name: 'upstream accepts the token',
        verdict: 'fail',
        detail: `an empty batch was answered with ${redirectText(response)}`,
        fix: 'the relay never follows redirects: set endpoint to the URL the events should go to',
      });
    else if (response.ok)
      checks.push({
        name: 'upstream accepts the token',
        verdict: 'pass',
        detail: `an empty batch was answered ${response.status}`,
      });
    else if (response.status === 401 || response.status === 403)
      checks.push({
        name: 'upstream accepts the token',
        verdict: 'fail',
        detail: `the upstream answered ${response.status}`,
        fix: 'set POSTERN_PROJECT_TOKEN to a valid server-side project token (one without allowed browser origins)',
      });
    else
      checks.push({
        name: 'upstream accepts the token',
        verdict: 'warn',
        detail: `an empty batch was answered ${response.status}; the token could not be judged`,
      });
  } catch (error) {
    checks.push({
      name: 'upstream accepts the token',
      verdict: 'fail',
      detail: errorText(error),
      fix: 'check the endpoint',
    });
  }
  return checks;
}

/** The running relay, over HTTP: preflight, CORS on a POST, a test batch, and a refused origin. */
async function checkRelay(url: string, origin: string): Promise<Check[]> {
  const checks: Check[] = [];
  const request = async (init: RequestInit): Promise<Response | Error> => {
    try {
      return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  };
  const preflight = await request({
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    },
  });
  if (preflight instanceof Error) {
    return [
      {
        name: 'relay reachable',
        verdict: 'fail',
        detail: `${url}: ${preflight.message}`,
        fix: 'start the relay ("postern serve") or correct --url',
      },
    ];
  }
  if (REDIRECT_STATUSES.has(preflight.status)) {
    return [
      {
        name: 'relay reachable',
        verdict: 'fail',
        detail: `${url} answered with ${redirectText(preflight)}`,
        fix: 'pass the relay route itself as --url (a browser does not follow a redirect on a preflight either)',
      },
    ];
  }
  const allowOrigin = preflight.headers.get('access-control-allow-origin');
  const methods = preflight.headers.get('access-control-allow-methods') ?? '';
  checks.push(
    preflight.status === 204 && allowOrigin === origin && /\bPOST\b/.test(methods)
      ? {
          name: 'preflight (R-CORS-1)',
          verdict: 'pass',
          detail: `204, Access-Control-Allow-Origin: ${origin}`,
        }
      : {
          name: 'preflight (R-CORS-1)',
          verdict: 'fail',
          detail: `answered ${preflight.status}, Access-Control-Allow-Origin: ${allowOrigin ?? '(none)'}, methods: ${methods || '(none)'}`,
          fix: `add ${origin} to allowedOrigins, or pass --origin with an allowed origin`,
        },
  );
  const { eventId, body } = testBatch('doctor');
  const post = await request({
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body,
  });
  if (post instanceof Error)
    checks.push({ name: 'test batch (R-EVENT-4)', verdict: 'fail', detail: post.message });
  else {
    const text = await post.text();
    const cors =
      post.headers.get('access-control-allow-origin') === origin &&
      /\bOrigin\b/i.test(post.headers.get('vary') ?? '');
    checks.push(
      cors
        ? {
            name: 'CORS on POST (R-CORS-2, R-CORS-3)',
            verdict: 'pass',
            detail: 'Access-Control-Allow-Origin echoed, Vary: Origin',
          }
        : {
            name: 'CORS on POST (R-CORS-2, R-CORS-3)',
            verdict: 'fail',
            detail: `Access-Control-Allow-Origin: ${post.headers.get('access-control-allow-origin') ?? '(none)'}, Vary: ${post.headers.get('vary') ?? '(none)'}`,
            fix: 'the relay must echo an allowed Origin and send Vary: Origin',
          },
    );
    checks.push(
      post.status === 202
        ? {
            name: 'test batch (R-EVENT-4)',
            verdict: 'pass',
            detail: `202 ${text} (event ${eventId})`,
          }
        : {
            name: 'test batch (R-EVENT-4)',
            verdict: 'fail',
            detail: `${post.status} ${text}`,
            fix: 'the error code names the cause (SPEC section 15): upstream_* is the upstream, spool_* the spool directory',
          },
    );
  }
  const foreign = await request({
    method: 'POST',
    headers: { origin: 'https://postern-doctor.invalid', 'content-type': 'application/json' },
    body,
  });
  if (!(foreign instanceof Error)) {
    checks.push(
      foreign.status === 403 && foreign.headers.get('access-control-allow-origin') === null
        ? {
            name: 'foreign origin refused (R-ORIGIN-3, R-CORS-5)',
            verdict: 'pass',
            detail: '403 without Access-Control-Allow-Origin',
          }
        : {
            name: 'foreign origin refused (R-ORIGIN-3, R-CORS-5)',
            verdict: 'fail',
            detail: `answered ${foreign.status}`,
            fix: 'set allowedOrigins to your app origins only',
          },
    );
  }
  return checks;
}

/**
 * The running server's own verdict, from its admin listener's /readyz (no redirect followed). Nothing
 * answering is a warning, not a failure: doctor also runs before the server is started.
 */
async function checkReadiness(config: ServeConfig): Promise<Check> {
  const name = 'server ready (/readyz)';
  if (!config.admin)
    return {
      name,
      verdict: 'skip',
      detail:
        'no admin listener (adminPort is not set), so the server serves no /readyz or /metrics',
      fix: `set adminPort: ${ADMIN_DEFAULTS.port} for an orchestrator's readiness probe and Prometheus`,
    };
  if (config.admin.port === 0)
    return {
      name,
      verdict: 'skip',
      detail: 'adminPort is 0: the server picks a free port at start (its log says which)',
    };
  const wildcard: Record<string, string> = { '0.0.0.0': '127.0.0.1', '::': '::1', '': '127.0.0.1' };
  const host = wildcard[config.admin.host] ?? config.admin.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.admin.port}/readyz`;
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
  } catch (error) {
    const cause =
      error instanceof Error && error.cause instanceof Error
        ? error.cause.message
        : errorText(error);
    return {
      name,
      verdict: 'warn',
      detail: `nothing answers at ${url}: ${cause}`,
      fix: 'start the relay ("postern serve"), or check adminHost and adminPort against its start-up log',
    };
  }
  const text = await response.text().catch(() => '');
  if (REDIRECT_STATUSES.has(response.status))
    return {
      name,
      verdict: 'fail',
      detail: `${url} answered with ${redirectText(response)}`,
      fix: 'postern never redirects there: another program holds adminPort',
    };
  let body: { ready?: unknown; checks?: Record<string, unknown> } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  const states = Object.entries(body?.checks ?? {})
    .map(([check, state]) => `${check}: ${String(state)}`)
    .join(', ');
  if (response.status === 200 && body?.ready === true)
    return { name, verdict: 'pass', detail: `${url}: ready${states ? ` (${states})` : ''}` };
  if (response.status === 503 && body?.ready === false)
    return {
      name,
      verdict: 'fail',
      detail: `${url}: not ready (${states || 'no checks'})`,
      fix: "the checks above name the cause; the server's log has the details (readiness: ...)",
    };
  return {
    name,
    verdict: 'fail',
    detail: `${url} answered ${response.status}, not a postern /readyz`,
    fix: 'another program holds adminPort; check adminHost and adminPort',
  };
}

/** Every check, each with a verdict and, when it fails, the fix; exit code 1 when any fails. */
export async function doctor(options: DoctorOptions, out: Output): Promise<number> {
  const checks: Check[] = [];
  let config: ServeConfig | undefined;
  try {
    config = await options.load();
    checks.push({ name: 'config', verdict: 'pass', detail: `${config.source} is valid` });
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [errorText(error)];
    for (const problem of problems)
      checks.push({ name: 'config', verdict: 'fail', detail: problem });
  }
  if (config) {
    const mode = resolveDeliverySettings(config.relay).mode;
    checks.push({
      name: 'delivery mode',
      verdict: 'pass',
      detail:
        mode === 'durable'
          ? config.spoolRedis
            ? `durable: spool in Redis (${config.spoolRedis.url}, keys ${config.spoolRedis.prefix}*), shared by every instance`
            : `durable: spool in ${config.relay.spoolDir}`
          : mode === 'direct'
            ? 'direct: no spool (durableWrite: false); an upstream outage is answered 502/504'
            : `local-only: files in ${config.relay.localEventsDir}`,
    });
    if (mode === 'durable' && config.spoolRedis)
      checks.push(...(await checkRedisSpool({ ...config, spoolRedis: config.spoolRedis })));
    else if (mode === 'durable') {
      const dir = await checkDirectory('spoolDir', config.relay.spoolDir);
      checks.push(dir);
      if (dir.verdict === 'pass') checks.push(await checkBacklog(config));
    }
    if (mode === 'local-only')
      checks.push(await checkDirectory('localEventsDir', config.relay.localEventsDir));
    if (mode !== 'local-only') checks.push(...(await checkUpstream(config)));
    checks.push(await checkReadiness(config));
    if (config.tunnel) {
      // The DSNs were compiled by the engine when the config loaded; say what the tunnel will accept.
      const routes = config.tunnel.dsns.length;
      const paths = createTunnel({
        ...config.tunnel,
        fetch: () => Promise.reject(new Error('doctor sends nothing through the tunnel')),
      }).paths;
      checks.push({
        name: 'sentry tunnel',
        verdict: 'pass',
        detail: `${paths.join(', ')} forward${paths.length === 1 ? 's' : ''} envelopes for ${routes} DSN${routes === 1 ? '' : 's'}`,
      });
    }
  }
  if (options.url) {
    const origin =
      options.origin ?? config?.relay.allowedOrigins?.[0] ?? new URL(options.url).origin;
    checks.push(...(await checkRelay(options.url, origin)));
  }
  const failed = checks.filter((check) => check.verdict === 'fail').length;
  out.result({ ok: failed === 0, checks });
  const marks: Record<Verdict, string> = { pass: '✓', warn: '!', fail: '✗', skip: '-' };
  for (const check of checks) {
    out.line(`${marks[check.verdict]} ${check.name}: ${check.detail}`);
    if (check.fix && check.verdict !== 'pass') out.line(`    fix: ${check.fix}`);
  }
  out.line(failed === 0 ? 'All checks passed.' : `${failed} check(s) failed.`);
  return failed === 0 ? 0 : 1;
}
