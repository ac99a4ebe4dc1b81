const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };
const PROJECT_ID = /^\d+$/;
const PUBLIC_KEY = /^[A-Za-z0-9_-]+$/;

/** A DSN in the one form comparisons use: scheme and host lowercase, the port always spelled out. */
export interface Dsn {
  scheme: 'http:' | 'https:';
  /** Lowercase, punycode, IPv6 in brackets: as the URL parser writes it. */
  host: string;
  port: string;
  /** Everything between the host and the project id, without a trailing slash: `''` or `/sentry`. */
  pathPrefix: string;
  projectId: string;
  publicKey: string;
  /** The identity of the project the DSN names; the legacy secret key plays no part in it. */
  key: string;
}

/**
 * Parses `scheme://public_key[:secret]@host[:port][/path]/project_id`. Anything else is null: a query,
 * a fragment, an empty key, a non-numeric project, a trailing slash. Being strict here costs a
 * misconfigured SDK a 400 and keeps two spellings of one DSN from meaning different things.
 */
export function parseDsn(value: string): Dsn | null {
  if (value !== value.trim() || value.includes('?') || value.includes('#')) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  const scheme = url.protocol;
  if (scheme !== 'http:' && scheme !== 'https:') return null;
  const publicKey = url.username;
  if (!PUBLIC_KEY.test(publicKey) || url.hostname === '') return null;
  const slash = url.pathname.lastIndexOf('/');
  const projectId = url.pathname.slice(slash + 1);
  if (!PROJECT_ID.test(projectId)) return null;
  const pathPrefix = url.pathname.slice(0, slash);
  const port = url.port === '' ? (DEFAULT_PORTS[scheme] as string) : url.port;
  const host = url.hostname;
  return {
    scheme,
    host,
    port,
    pathPrefix,
    projectId,
    publicKey,
    key: `${scheme}//${publicKey}@${host}:${port}${pathPrefix}/${projectId}`,
  };
}

/** Where a DSN's envelopes go: `<scheme>://<host>[:port][/path]/api/<project>/envelope/?sentry_version=7&sentry_key=<key>`. */
export function envelopeUrl(dsn: Dsn): string {
  const port = dsn.port === DEFAULT_PORTS[dsn.scheme] ? '' : `:${dsn.port}`;
  return `${dsn.scheme}//${dsn.host}${port}${dsn.pathPrefix}/api/${dsn.projectId}/envelope/?sentry_version=7&sentry_key=${encodeURIComponent(dsn.publicKey)}`;
}

/** The DSN as a Sentry SDK would write it (no secret key), for the rewritten envelope header of a copy. */
export function formatDsn(dsn: Dsn): string {
  const port = dsn.port === DEFAULT_PORTS[dsn.scheme] ? '' : `:${dsn.port}`;
  return `${dsn.scheme}//${dsn.publicKey}@${dsn.host}${port}${dsn.pathPrefix}/${dsn.projectId}`;
}
