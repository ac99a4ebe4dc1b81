import { parseDsn } from './dsn.js';
import { TUNNEL_DEFAULTS, type TunnelOptions, type TunnelRoute } from './options.js';

/*
 * Managed tunnel paths: the same-origin path a Sentry browser SDK (11.10 and later) posts to when it is
 * configured with `tunnel: true`. The SDK derives it from its DSN, so the server derives the same path from
 * the same DSN: `basePath + "/" + base36(FNV-1a-32(dsn string))`. The rules (SPEC section 25):
 *
 * - the DSN string is `scheme://public_key@host[:port]/[path/]project_id`, exactly as the DSN was written,
 *   without the secret key: the host keeps its case, the port is kept when written (an explicit `:443`
 *   changes the path) and left out when not;
 * - the hash is 32-bit FNV-1a over the string's UTF-16 code units, written in base 36, lowercase, unpadded;
 * - the base path is normalised as the SDK normalises it, and one trailing slash on a request is tolerated.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a over the UTF-16 code units of `text` (for ASCII, its bytes), as an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** `host` or `[ipv6]`, then an optional `:port` of digits. */
const HOST_AND_PORT = /^(?:\[[^\]]+\]|[^:[\]]+)(?::\d+)?$/;
const LEADING_DIGITS = /^\d+/;

/**
 * The string a Sentry SDK hashes for the managed path: `scheme://public_key@host[:port]/[path/]project_id`
 * as the DSN was written (case, port and path prefix kept), without the secret key; null when `dsn` does not
 * have that form.
 */
export function sdkDsnString(dsn: string): string | null {
  const schemeEnd = dsn.indexOf('://');
  if (schemeEnd <= 0) return null;
  const rest = dsn.slice(schemeEnd + 3);
  const slash = rest.indexOf('/');
  if (slash === -1) return null;
  const authority = rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  if (at === -1) return null;
  const publicKey = authority.slice(0, at).split(':')[0] as string;
  const hostAndPort = authority.slice(at + 1);
  if (publicKey === '' || !HOST_AND_PORT.test(hostAndPort)) return null;
  const location = rest.slice(slash + 1);
  const lastSlash = location.lastIndexOf('/');
  const prefix = lastSlash === -1 ? '' : location.slice(0, lastSlash);
  const projectId = LEADING_DIGITS.exec(location.slice(lastSlash + 1))?.[0];
  if (projectId === undefined) return null;
  return `${dsn.slice(0, schemeEnd)}://${publicKey}@${hostAndPort}/${prefix === '' ? '' : `${prefix}/`}${projectId}`;
}

/**
 * A base path as the SDK's `tunnel: { basePath }` normalises it: a leading `./` becomes `/`, one trailing
 * `/` is dropped, a leading `/` is added; `''` and `/` mean none (`''`).
 */
export function normaliseBasePath(basePath: string): string {
  let base = basePath.startsWith('./') ? `/${basePath.slice(2)}` : basePath;
  if (base.endsWith('/')) base = base.slice(0, -1);
  if (!base.startsWith('/')) base = `/${base}`;
  return base === '/' ? '' : base;
}

/** The path `Sentry.init({ dsn, tunnel: true })` posts to (with `tunnel: { basePath }`, under it); null when `dsn` has no such path. */
export function managedTunnelPath(dsn: string, basePath = ''): string | null {
  const written = sdkDsnString(dsn);
  return written === null
    ? null
    : `${normaliseBasePath(basePath)}/${fnv1a32(written).toString(36)}`;
}

/** The paths a tunnel answers, computed once from its options. */
export interface ServedPaths {
  /** The fixed path, or, when it is switched off, the first managed path. */
  path: string;
  /** The fixed path (unless `path: false`), then one managed path per inbound DSN (with `managedPaths`). */
  paths: readonly string[];
  /** Whether a request target (a path with an optional query) is one of `paths`; one trailing slash is tolerated. */
  matches(target: string): boolean;
  /**
   * Why an envelope whose header names the DSN `dsnKey` (its normalised key) is refused on `target`, or
   * undefined: a managed path serves only the DSN it is derived from. The fixed path, and a request whose
   * path the adapter did not pass, serve every configured DSN.
   */
  refuses(target: string | undefined, dsnKey: string): string | undefined;
}

function pathnameOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/**
 * A path as a lenient router may route it (Express ignores case, find-my-way decodes percent escapes, a
 * plugin prefix or a mount path sits in front): decoded, lower case, without trailing slashes.
 */
function looseSpelling(pathname: string): string {
  let decoded = pathname;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    // A malformed escape is routed as written.
  }
  let end = decoded.length;
  while (end > 0 && decoded[end - 1] === '/') end--;
  return decoded.slice(0, end).toLowerCase();
}

/**
 * Checks `path`, `managedPaths` and `basePath` and computes every path the tunnel answers. Called once at
 * construction, after `dsns` has been checked: the lookups per request are two map reads.
 */
export function compileServedPaths(
  options: Pick<TunnelOptions, 'dsns' | 'path' | 'managedPaths' | 'basePath'>,
): ServedPaths {
  const { path, managedPaths, basePath } = options;
  if (managedPaths !== undefined && typeof managedPaths !== 'boolean')
    throw new TypeError(`managedPaths must be true or false, got ${JSON.stringify(managedPaths)}.`);
  if (path !== undefined && path !== false && (typeof path !== 'string' || path === '')) {
    throw new TypeError(
      `path must be a path such as "${TUNNEL_DEFAULTS.path}", or false to serve only the managed paths, got ${JSON.stringify(path)}.`,
    );
  }
  if (path === false && managedPaths !== true) {
    throw new TypeError(
      'path: false switches the fixed path off, and without managedPaths: true the tunnel would answer no path at all. Set managedPaths: true, or remove path: false.',
    );
  }
  if (basePath !== undefined) {
    // `//` too: the SDK would post to a protocol-relative URL (`//<hash>` names a host).
    if (typeof basePath !== 'string' || /[?#\s]|\/\//.test(basePath))
      throw new TypeError(
        `basePath must be a path prefix such as "/monitoring", got ${JSON.stringify(basePath)}.`,
      );
    if (managedPaths !== true)
      throw new TypeError(
        'basePath prefixes the managed paths, and managedPaths is not on. Set managedPaths: true, or put the prefix into path.',
      );
  }
  const fixed = path === false ? undefined : (path ?? TUNNEL_DEFAULTS.path);
  const fixedLoose = fixed === undefined ? undefined : looseSpelling(fixed);
  // The hash segment of each managed path, and the DSN it serves: a request a router sent here under another
  // spelling of a managed path (or under a prefix) is still bound to that path's DSN (R-MANAGED-6).
  const byHash = new Map<string, string>();
  // Accepted request paths (each path, and each with one trailing slash) and, for a managed path, the DSN it serves.
  const accepted = new Map<string, string | undefined>();
  const paths: string[] = [];
  const add = (served: string, dsnKey: string | undefined): void => {
    paths.push(served);
    accepted.set(served, dsnKey);
    accepted.set(`${served}/`, dsnKey);
  };
  if (fixed !== undefined) add(fixed, undefined);
  if (managedPaths === true) {
    const owners = new Map<string, number>();
    options.dsns.forEach((entry: string | TunnelRoute, index) => {
      const dsn = typeof entry === 'string' ? entry : entry.dsn;
      const key = parseDsn(dsn)?.key;
      const served = managedTunnelPath(dsn, basePath);
      if (key === undefined || served === null) {
        throw new TypeError(
          `dsns[${index}]: ${JSON.stringify(dsn)} has no managed path: write it as scheme://public_key@host[:port]/[path/]project_id, as the browser SDK is given it.`,
        );
      }
      if (looseSpelling(served) === fixedLoose)
        throw new TypeError(
          `dsns[${index}]: its managed path is ${served}, which is also the fixed path. Choose another path.`,
        );
      const other = owners.get(served);
      if (other !== undefined)
        throw new TypeError(
          `dsns[${index}] and dsns[${other}] have the same managed path ${served}; serve one of them on the fixed path instead.`,
        );
      owners.set(served, index);
      add(served, key);
      byHash.set(served.slice(served.lastIndexOf('/') + 1), key);
    });
  }
  return {
    path: paths[0] as string,
    paths,
    matches: (target) => accepted.has(pathnameOf(target)),
    refuses(target, dsnKey) {
      if (target === undefined) return undefined;
      const pathname = pathnameOf(target);
      let owner: string | undefined;
      if (accepted.has(pathname)) owner = accepted.get(pathname);
      else if (byHash.size > 0) {
        const loose = looseSpelling(pathname);
        if (loose !== fixedLoose) owner = byHash.get(loose.slice(loose.lastIndexOf('/') + 1));
      }
      return owner === undefined || owner === dsnKey
        ? undefined
        : 'This path is the managed path of another configured DSN: the SDK posts each DSN to its own path.';
    },
  };
}
