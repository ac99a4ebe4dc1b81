import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  DEFAULTS,
  TUNNEL_DEFAULTS,
  type BrowserRelayOptions,
  type TunnelOptions,
} from '@postern/core';
import { parseDocument } from 'yaml';
import {
  compileTunnelConfig,
  resolveTunnel,
  TUNNEL_EXAMPLE,
  tunnelProblems,
} from './tunnel-config.js';

/** Everything `postern serve` and the other commands read from postern.yaml, the environment and flags. */
export interface ServeConfig {
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How long shutdown waits for requests in flight before closing their connections. */
  shutdownTimeoutMs: number;
  /** A connection whose request headers are not complete this long after it opened (or after its previous request) is answered 408 and closed (slowloris). */
  headersTimeoutMs: number;
  /** A request whose body is not fully received this long after it started is answered 408 and closed (slow bodies). */
  requestTimeoutMs: number;
  /**
   * The admin listener for /healthz, /readyz and /metrics, apart from the public port; undefined (off) unless
   * `adminPort` is set. Port 0 takes any free port.
   */
  admin?: { host: string; port: number };
  /** Retention for `postern clean` and the server's hourly clean. */
  deliveredRetentionHours: number;
  undeliveredRetentionDays: number;
  /** The relay options, with `spoolDir` and `localEventsDir` made absolute. */
  relay: BrowserRelayOptions & { spoolDir: string; localEventsDir: string };
  /**
   * Durable mode: the spool is a Redis stream the whole fleet shares (`spoolRedis`), instead of `spoolDir`;
   * `prefix` names its keys (`spoolRedisPrefix`, default `postern:spool:`).
   */
  spoolRedis?: { url: string; prefix: string };
  /** The Sentry envelope tunnel served beside the relay, when `tunnel:` is set; `allowedOrigins` and `trustProxy` default to the top-level ones. */
  tunnel?: TunnelOptions;
  /** Where the configuration came from, for messages. */
  source: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `the configuration has ${problems.length} problem(s):\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

type Kind =
  | 'string'
  | 'url'
  | 'redisUrl'
  | 'path'
  | 'integer'
  | 'boolean'
  | 'origins'
  | 'trustProxy'
  | 'rateLimit'
  | 'projectMode'
  | 'logLevel'
  | 'tunnel';

interface KeySpec {
  kind: Kind;
  /** An example value for the fix in an error message. */
  example: string;
  min?: number;
  max?: number;
}

/**
 * The admin listener (/healthz, /readyz, /metrics) is off unless `adminPort` is set; its host defaults to
 * loopback. `postern init` writes both keys with these values.
 */
export const ADMIN_DEFAULTS = { host: '127.0.0.1', port: 9464 } as const;

/** The Redis spool's key prefix unless `spoolRedisPrefix` says otherwise. */
export const SPOOL_REDIS_PREFIX = 'postern:spool:';

/** Every key postern.yaml may hold; an environment override is POSTERN_ plus the key in SCREAMING_SNAKE_CASE. */
export const KEYS: Record<string, KeySpec> = {
  host: { kind: 'string', example: '127.0.0.1' },
  port: { kind: 'integer', example: '3000', min: 0, max: 65535 },
  adminHost: { kind: 'string', example: ADMIN_DEFAULTS.host },
  adminPort: { kind: 'integer', example: String(ADMIN_DEFAULTS.port), min: 0, max: 65535 },
  logLevel: { kind: 'logLevel', example: 'info' },
  shutdownTimeoutMs: { kind: 'integer', example: '10000', min: 0 },
  headersTimeoutMs: { kind: 'integer', example: '10000', min: 1 },
  requestTimeoutMs: { kind: 'integer', example: '30000', min: 1 },
  path: { kind: 'string', example: DEFAULTS.path },
  projectMode: { kind: 'projectMode', example: 'connected' },
  projectToken: {
    kind: 'string',
    example: 'set POSTERN_PROJECT_TOKEN in the environment instead of the file',
  },
  endpoint: { kind: 'url', example: DEFAULTS.endpoint },
  allowedOrigins: { kind: 'origins', example: '[https://app.example.com]' },
  trustProxy: { kind: 'trustProxy', example: 'false, 1, or [loopback]' },
  rateLimitPerMinute: { kind: 'integer', example: '60', min: 1 },
  rateLimit: { kind: 'rateLimit', example: '{ limit: 60, windowMs: 60000 }' },
  maxBodyBytes: { kind: 'integer', example: String(DEFAULTS.maxBodyBytes), min: 1 },
  maxBatchEvents: { kind: 'integer', example: String(DEFAULTS.maxBatchEvents), min: 1 },
  upstreamTimeoutMs: { kind: 'integer', example: String(DEFAULTS.upstreamTimeoutMs), min: 1 },
  service: { kind: 'string', example: 'checkout-web' },
  environment: { kind: 'string', example: 'production' },
  sdkName: { kind: 'string', example: DEFAULTS.sdkName },
  acknowledgeRejections: { kind: 'boolean', example: 'true' },
  dedupWindowMs: { kind: 'integer', example: String(DEFAULTS.dedupWindowMs), min: 0 },
  durableWrite: { kind: 'boolean', example: 'true' },
  spoolDir: { kind: 'path', example: DEFAULTS.spoolDir },
  localEventsDir: { kind: 'path', example: DEFAULTS.localEventsDir },
  spoolRedis: { kind: 'redisUrl', example: 'redis://127.0.0.1:6379' },
  spoolRedisPrefix: { kind: 'string', example: SPOOL_REDIS_PREFIX },
  maxSpoolBytes: { kind: 'integer', example: String(DEFAULTS.maxSpoolBytes), min: 1 },
  retryBaseMs: { kind: 'integer', example: String(DEFAULTS.retryBaseMs), min: 1 },
  retryMaxMs: { kind: 'integer', example: String(DEFAULTS.retryMaxMs), min: 1 },
  redeliveryConcurrency: {
    kind: 'integer',
    example: String(DEFAULTS.redeliveryConcurrency),
    min: 1,
  },
  deliveredRetentionHours: { kind: 'integer', example: '24', min: 0 },
  undeliveredRetentionDays: { kind: 'integer', example: '7', min: 0 },
  tunnel: { kind: 'tunnel', example: TUNNEL_EXAMPLE },
};

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function envName(key: string): string {
  return `POSTERN_${key.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;
}

/** Environment values are strings; turn them into what the YAML would have held. */
function fromEnv(kind: Kind, text: string): unknown {
  switch (kind) {
    case 'integer':
      return /^-?\d+$/.test(text.trim()) ? Number(text) : text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'origins':
      return text
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean);
    case 'trustProxy':
      if (text === 'true' || text === 'false') return text === 'true';
      return /^\d+$/.test(text)
        ? Number(text)
        : text
            .split(',')
            .map((item) => item.trim())
            .filter(Boolean);
    case 'rateLimit':
    case 'tunnel':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    default:
      return text;
  }
}

/** A string of the scheme `shape` allows that `URL` can parse. */
function isUrl(value: unknown, shape: RegExp): boolean {
  if (typeof value !== 'string' || !shape.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** Checks one value; returns the problem (the problems, for `tunnel`), naming the key and the fix, or undefined. */
function check(
  key: string,
  spec: KeySpec,
  value: unknown,
  where: string,
): string | string[] | undefined {
  const fix = `Fix: set ${key}: ${spec.example}`;
  // The token is never echoed, whatever was written there.
  const got = key === 'projectToken' ? 'a value that is not a usable token' : JSON.stringify(value);
  const bad = (what: string): string => `${where}${key}: ${what}, got ${got}. ${fix}.`;
  switch (spec.kind) {
    case 'string':
    case 'path':
      return typeof value === 'string' && value.trim() !== ''
        ? undefined
        : bad('must be a non-empty string');
    case 'url':
      return isUrl(value, /^https?:\/\/[^\s]+$/) ? undefined : bad('must be an http(s) URL');
    case 'redisUrl':
      return isUrl(value, /^rediss?:\/\/[^\s]+$/)
        ? undefined
        : bad('must be a redis:// or rediss:// URL');
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value))
        return bad('must be a whole number');
      if (spec.min !== undefined && value < spec.min) return bad(`must be at least ${spec.min}`);
      if (spec.max !== undefined && value > spec.max) return bad(`must be at most ${spec.max}`);
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : bad('must be true or false');
    case 'origins':
      return Array.isArray(value) &&
        value.every((item) => typeof item === 'string' && /^https?:\/\//.test(item))
        ? undefined
        : bad('must be a list of origins such as https://app.example.com');
    case 'trustProxy':
      return typeof value === 'boolean' ||
        (typeof value === 'number' && Number.isInteger(value) && value >= 0) ||
        (Array.isArray(value) && value.every((item) => typeof item === 'string'))
        ? undefined
        : bad(
            'must be true, false, a hop count, or a list of addresses, CIDRs or loopback/linklocal/uniquelocal',
          );
    case 'rateLimit': {
      const limit = value as { limit?: unknown; windowMs?: unknown } | null;
      return typeof limit === 'object' &&
        limit !== null &&
        Number.isInteger(limit.limit) &&
        Number.isInteger(limit.windowMs)
        ? undefined
        : bad('must be { limit, windowMs } with whole numbers');
    }
    case 'projectMode':
      return value === 'connected' || value === 'local-only'
        ? undefined
        : bad('must be connected or local-only');
    case 'logLevel':
      return typeof value === 'string' && LOG_LEVELS.includes(value)
        ? undefined
        : bad(`must be one of ${LOG_LEVELS.join(', ')}`);
    case 'tunnel': {
      const problems = tunnelProblems(
        value,
        where,
        (subkey, sub, item) => check(subkey, sub as KeySpec, item, where) as string | undefined,
      );
      return problems.length > 0 ? problems : undefined;
    }
  }
}

export interface LoadOptions {
  /** A YAML (or JSON) file. */
  file?: string;
  /** YAML or JSON text, e.g. from an environment variable, instead of a file. */
  text?: string;
  textSource?: string;
  env?: NodeJS.ProcessEnv;
  /** Flags win over everything. */
  overrides?: Partial<Record<string, unknown>>;
  /** Where relative directories are resolved without a file. */
  cwd?: string;
  /** The `tunnel:` mapping as YAML or JSON text (e.g. from `--tunnel-config-env`), replacing the one from the file or environment. */
  tunnelText?: string;
  tunnelTextSource?: string;
}

/** Parses YAML with errors that point at the line. */
function parseYaml(text: string, source: string): Record<string, unknown> {
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0)
    throw new ConfigError(document.errors.map((error) => `${source}: ${error.message}`));
  const value: unknown = document.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError([
      `${source}: must be a mapping of keys (host, port, allowedOrigins, …), got ${Array.isArray(value) ? 'a list' : typeof value}`,
    ]);
  return value as Record<string, unknown>;
}

/**
 * Reads the configuration: defaults, then the file, then POSTERN_* environment variables, then flags;
 * every problem is collected and reported at once, each naming its key and the fix.
 */
export async function loadConfig(options: LoadOptions = {}): Promise<ServeConfig> {
  const env = options.env ?? process.env;
  let raw: Record<string, unknown> = {};
  let source = 'defaults';
  let base = options.cwd ?? process.cwd();
  if (options.text !== undefined) {
    source = options.textSource ?? 'configuration text';
    raw = parseYaml(options.text, source);
  } else if (options.file !== undefined) {
    source = options.file;
    let text: string;
    try {
      text = await readFile(options.file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConfigError([
        `${options.file}: cannot be read (${code ?? String(error)}). Fix: run "postern init" to write one, or pass --config <file>.`,
      ]);
    }
    raw = parseYaml(text, source);
    base = dirname(resolve(options.file));
  }

  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const spec = KEYS[key];
    if (!spec) {
      problems.push(
        `${source}: ${key}: is not a setting. Fix: remove it or correct the spelling (settings: ${Object.keys(KEYS).join(', ')}).`,
      );
      continue;
    }
    if (value === null) continue; // a key left empty in the YAML means "the default"
    const problem = check(key, spec, value, `${source}: `);
    if (problem) problems.push(...[problem].flat());
    else values[key] = value;
  }
  for (const [key, spec] of Object.entries(KEYS)) {
    const text = env[envName(key)];
    if (text === undefined || text === '') continue;
    const value = fromEnv(spec.kind, text);
    // Never echo an environment value that may be the token.
    const problem = check(key, spec, value, `environment ${envName(key)} → `);
    if (problem) problems.push(...[problem].flat());
    else values[key] = value;
  }
  if (values.projectToken === undefined && env.DEBUGBUNDLE_PROJECT_TOKEN)
    values.projectToken = env.DEBUGBUNDLE_PROJECT_TOKEN;
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) continue;
    const spec = KEYS[key] as KeySpec;
    const problem = check(key, spec, value, `flag --${key}: `);
    if (problem) problems.push(...[problem].flat());
    else values[key] = value;
  }

  if (options.tunnelText !== undefined) {
    const where = options.tunnelTextSource ?? 'tunnel configuration text';
    const tunnel = parseYaml(options.tunnelText, where);
    const problem = check('tunnel', KEYS.tunnel as KeySpec, tunnel, `${where}: `);
    if (problem) problems.push(...[problem].flat());
    else values.tunnel = tunnel;
  }

  const projectMode = (values.projectMode as 'connected' | 'local-only' | undefined) ?? 'connected';
  if (projectMode === 'connected' && values.projectToken === undefined) {
    problems.push(
      `projectToken: is required in connected mode. Fix: export POSTERN_PROJECT_TOKEN=<your server-side project token> (or set projectMode: local-only).`,
    );
  }
  const headersTimeoutMs = (values.headersTimeoutMs as number | undefined) ?? 10_000;
  const requestTimeoutMs = (values.requestTimeoutMs as number | undefined) ?? 30_000;
  if (headersTimeoutMs > requestTimeoutMs) {
    problems.push(
      `headersTimeoutMs: must not be more than requestTimeoutMs (${requestTimeoutMs}), got ${headersTimeoutMs}. Fix: set headersTimeoutMs: ${Math.min(10_000, requestTimeoutMs)}, or raise requestTimeoutMs.`,
    );
  }
  if (values.adminHost !== undefined && values.adminPort === undefined) {
    problems.push(
      `adminHost: is set but adminPort is not, so there is no admin listener (/healthz, /readyz, /metrics). Fix: set adminPort: ${ADMIN_DEFAULTS.port}, or remove adminHost.`,
    );
  }
  if (
    values.adminPort !== undefined &&
    values.adminPort !== 0 &&
    values.adminPort === ((values.port as number | undefined) ?? 3000)
  ) {
    problems.push(
      `adminPort: must differ from port (${String(values.adminPort)}): health and metrics are kept off the public listener. Fix: set adminPort: ${ADMIN_DEFAULTS.port}.`,
    );
  }
  if (values.spoolRedis !== undefined && values.durableWrite !== true) {
    problems.push(
      `spoolRedis: is set but durableWrite is not true, so nothing is spooled. Fix: set durableWrite: true, or remove spoolRedis.`,
    );
  }
  if (values.spoolRedisPrefix !== undefined && values.spoolRedis === undefined) {
    problems.push(
      `spoolRedisPrefix: is set but spoolRedis is not. Fix: set spoolRedis: redis://127.0.0.1:6379, or remove spoolRedisPrefix.`,
    );
  }
  const tunnel =
    values.tunnel === undefined
      ? undefined
      : resolveTunnel(values.tunnel as Record<string, unknown>, values);
  if (tunnel) {
    const relayPath = (values.path as string | undefined) ?? DEFAULTS.path;
    const tunnelPath = tunnel.path ?? TUNNEL_DEFAULTS.path;
    if (tunnelPath === relayPath)
      problems.push(
        `tunnel.path: must differ from the relay's path (${relayPath}). Fix: set tunnel.path: ${TUNNEL_DEFAULTS.path}.`,
      );
    else if (problems.length === 0) {
      const compiled = compileTunnelConfig(
        tunnel,
        options.tunnelText === undefined
          ? source
          : (options.tunnelTextSource ?? 'tunnel configuration text'),
      );
      if ('problem' in compiled) problems.push(compiled.problem);
      else if (compiled.paths.includes(relayPath))
        problems.push(
          `tunnel.managedPaths: a managed path of the tunnel is the relay's path (${relayPath}). Fix: set tunnel.basePath, or move the relay to another path.`,
        );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const absolute = (path: string): string => (isAbsolute(path) ? path : resolve(base, path));
  const {
    host,
    port,
    adminHost,
    adminPort,
    logLevel,
    shutdownTimeoutMs,
    headersTimeoutMs: _headers,
    requestTimeoutMs: _request,
    deliveredRetentionHours,
    undeliveredRetentionDays,
    tunnel: _tunnel,
    spoolRedis,
    spoolRedisPrefix,
    ...relay
  } = values;
  return {
    host: (host as string | undefined) ?? '127.0.0.1',
    port: (port as number | undefined) ?? 3000,
    ...(adminPort === undefined
      ? {}
      : {
          admin: {
            host: (adminHost as string | undefined) ?? ADMIN_DEFAULTS.host,
            port: adminPort as number,
          },
        }),
    logLevel: (logLevel as ServeConfig['logLevel'] | undefined) ?? 'info',
    shutdownTimeoutMs: (shutdownTimeoutMs as number | undefined) ?? 10_000,
    headersTimeoutMs,
    requestTimeoutMs,
    deliveredRetentionHours: (deliveredRetentionHours as number | undefined) ?? 24,
    undeliveredRetentionDays: (undeliveredRetentionDays as number | undefined) ?? 7,
    relay: {
      ...(relay as BrowserRelayOptions),
      spoolDir: absolute((relay.spoolDir as string | undefined) ?? DEFAULTS.spoolDir),
      localEventsDir: absolute(
        (relay.localEventsDir as string | undefined) ?? DEFAULTS.localEventsDir,
      ),
    },
    ...(spoolRedis === undefined
      ? {}
      : {
          spoolRedis: {
            url: spoolRedis as string,
            prefix: (spoolRedisPrefix as string | undefined) ?? SPOOL_REDIS_PREFIX,
          },
        }),
    ...(tunnel ? { tunnel } : {}),
    source,
  };
}
