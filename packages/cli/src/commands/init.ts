import { access, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { DEFAULTS } from '@postern/core';
import { ADMIN_DEFAULTS } from '../config.js';
import type { Output } from '../output.js';

export interface InitAnswers {
  origins: string[];
  mode: 'connected' | 'local-only';
  durable: boolean;
  endpoint: string;
  host: string;
  port: number;
  adminPort: number;
}

export interface InitOptions {
  file: string;
  force: boolean;
  /** Ask on a terminal for what the flags left out. */
  interactive: boolean;
  answers: Partial<InitAnswers>;
}

const yamlList = (items: string[]): string =>
  items.length === 0 ? ' []' : `\n${items.map((item) => `  - ${item}`).join('\n')}`;

/** The commented postern.yaml; the token is never written, only where to put it. */
export function renderConfig(answers: InitAnswers): string {
  return `# postern.yaml: the standalone Postern relay ("postern serve").
# Every key can be overridden by an environment variable: POSTERN_ plus the key in SCREAMING_SNAKE_CASE
# (POSTERN_PORT, POSTERN_ALLOWED_ORIGINS=a,b, POSTERN_SPOOL_DIR, ...). Check it with "postern doctor".

# Where the relay listens. Put a TLS-terminating proxy in front of it in production.
host: ${answers.host}
port: ${answers.port}

# Health and metrics, on a listener of their own: /healthz, /readyz and Prometheus /metrics. The public port
# answers only /healthz (a constant body); readiness and metrics say how the relay is doing inside (spool
# backlog, upstream state), which is for your orchestrator and Prometheus, not for the Internet. Keep adminHost
# on loopback, or on an address only they reach (a pod IP behind a NetworkPolicy). Remove adminPort to turn
# the listener off; adminPort: 0 takes any free port (logged at start).
adminHost: ${ADMIN_DEFAULTS.host}
adminPort: ${answers.adminPort}

# The route the browser SDK posts to.
path: ${DEFAULTS.path}

# connected: forward to the upstream with the server-side project token.
# local-only: write accepted events to localEventsDir as JSON files; nothing leaves this machine.
projectMode: ${answers.mode}

# The project token is a secret: never put it in this file. Export it instead:
#   export POSTERN_PROJECT_TOKEN=...   (DEBUGBUNDLE_PROJECT_TOKEN is read too)
# projectToken:

# The ingestion endpoint events are forwarded to.
endpoint: ${answers.endpoint}

# Pages allowed to send events (scheme://host[:port]). Leave empty to allow only the relay's own origin.
allowedOrigins:${yamlList(answers.origins)}

# Which proxies may set X-Forwarded-For / X-Forwarded-Host: false, a hop count, or [loopback, 10.0.0.0/8].
trustProxy: false

# Per client IP. For another window: rateLimit: { limit: 120, windowMs: 60000 }
rateLimitPerMinute: ${DEFAULTS.rateLimitPerMinute}
maxBodyBytes: ${DEFAULTS.maxBodyBytes}
upstreamTimeoutMs: ${DEFAULTS.upstreamTimeoutMs}

# DebugBundle's browser SDKs send a batch again after any answer that is not 2xx. Event ids delivered in
# this window are not forwarded again (0 turns that off).
dedupWindowMs: ${DEFAULTS.dedupWindowMs}
# false: a batch with refused items (a log_event from captureLog, say) gets 400, as DebugBundle's relay
# documentation asks, and the SDKs re-send it at every flush. true: 202 with a reason per refused item,
# so SDK 3.x drops those for good and 1.4.0 stops re-sending.
acknowledgeRejections: false

# Durable delivery: each accepted batch is written to spoolDir (fsync'd) before the browser gets 202,
# then forwarded; upstream outages and restarts lose nothing. Put spoolDir on persistent storage.
# false: forward first and answer with the upstream's result (no disk needed).
durableWrite: ${answers.durable}
spoolDir: ${DEFAULTS.spoolDir}
# Above this, delivered entries are evicted oldest-first; then new batches get 503 spool_full.
maxSpoolBytes: ${DEFAULTS.maxSpoolBytes}
# Redelivery backoff (doubles per failure, with jitter; an upstream Retry-After is honoured).
retryBaseMs: ${DEFAULTS.retryBaseMs}
retryMaxMs: ${DEFAULTS.retryMaxMs}
redeliveryConcurrency: ${DEFAULTS.redeliveryConcurrency}
# "postern clean" (and the server, hourly) removes delivered entries after this many hours and
# undelivered ones after this many days.
deliveredRetentionHours: 24
undeliveredRetentionDays: 7

# local-only mode writes here.
localEventsDir: ${DEFAULTS.localEventsDir}

# fatal, error, warn, info, debug, trace or silent. Logs are JSON lines on stdout and never hold tokens.
logLevel: info
# On SIGTERM/SIGINT, how long to wait for requests in flight.
shutdownTimeoutMs: 10000
# A client gets this long to send its headers, and this long for the whole request (slowloris guard).
headersTimeoutMs: 10000
requestTimeoutMs: 30000

# A Sentry tunnel beside the relay (the browser SDK's \`tunnel: '/postern/tunnel'\`): uncomment and list
# the DSNs it may forward to. managedPaths also answers \`tunnel: true\` (Sentry SDK 11.10+), on the path
# the SDK derives from each DSN. See the README for mirrors (forwardTo) and PII scrubbing (scrub).
# tunnel:
#   dsns: [https://<public key>@o0.ingest.sentry.io/<project id>]
#   managedPaths: true
`;
}

async function ask(answers: Partial<InitAnswers>): Promise<Partial<InitAnswers>> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const result = { ...answers };
    if (result.mode === undefined) {
      const mode = (await rl.question('Mode, connected or local-only? [connected] ')).trim();
      result.mode = mode === 'local-only' ? 'local-only' : 'connected';
    }
    if (result.origins === undefined) {
      const origins = await rl.question(
        'Allowed origins, comma-separated (e.g. https://app.example.com) [same origin only] ',
      );
      result.origins = origins
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean);
    }
    if (result.mode === 'connected' && result.endpoint === undefined) {
      result.endpoint =
        (await rl.question(`Upstream endpoint [${DEFAULTS.endpoint}] `)).trim() ||
        DEFAULTS.endpoint;
    }
    if (result.port === undefined) {
      const port = (await rl.question('Port [3000] ')).trim();
      result.port = port === '' ? 3000 : Number(port);
    }
    return result;
  } finally {
    rl.close();
  }
}

/** Writes postern.yaml: from flags, asking on a terminal for what they left out. Never overwrites without --force. */
export async function init(options: InitOptions, out: Output): Promise<number> {
  const exists = await access(options.file).then(
    () => true,
    () => false,
  );
  if (exists && !options.force) {
    out.error(`postern init: ${options.file} exists; pass --force to replace it.`);
    return 1;
  }
  const given = options.interactive ? await ask(options.answers) : options.answers;
  const answers: InitAnswers = {
    origins: given.origins ?? [],
    mode: given.mode ?? 'connected',
    durable: given.durable ?? true,
    endpoint: given.endpoint ?? DEFAULTS.endpoint,
    host: given.host ?? '127.0.0.1',
    port: given.port ?? 3000,
    adminPort: given.adminPort ?? ADMIN_DEFAULTS.port,
  };
  for (const origin of answers.origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      out.error(
        `postern init: "${origin}" is not an origin; write scheme://host[:port], e.g. https://app.example.com`,
      );
      return 2;
    }
  }
  if (!Number.isInteger(answers.port) || answers.port < 0 || answers.port > 65535) {
    out.error(
      `postern init: port must be a whole number from 0 to 65535, got ${String(answers.port)}`,
    );
    return 2;
  }
  if (
    !Number.isInteger(answers.adminPort) ||
    answers.adminPort < 0 ||
    answers.adminPort > 65535 ||
    (answers.adminPort !== 0 && answers.adminPort === answers.port)
  ) {
    out.error(
      `postern init: admin port must be a whole number from 0 to 65535 other than the port, got ${String(answers.adminPort)}`,
    );
    return 2;
  }
  await writeFile(options.file, renderConfig(answers));
  out.result({ written: options.file, ...answers });
  out.line(`Wrote ${options.file}.`);
  if (answers.mode === 'connected')
    out.line(
      'Next: export POSTERN_PROJECT_TOKEN=<server-side project token>, then run "postern serve" (and "postern doctor" to check).',
    );
  else out.line('Next: run "postern serve"; accepted events land in the localEventsDir.');
  return 0;
}
