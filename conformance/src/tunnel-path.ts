/**
 * The managed tunnel path of SPEC section 25, as the runner computes it for `{{tunnelPath:<dsn>}}`. Written
 * from the SPEC's rule alone (a relay in another language follows the same text):
 *
 * 1. The DSN string: `<scheme>://<public_key>@<host>[:<port>]/[<path>/]<project_id>`, every part exactly as
 *    the DSN was written, without the secret key (`:secret` after the public key) and without a port that
 *    was not written.
 * 2. Its 32-bit FNV-1a hash over the string's UTF-16 code units: start from 2166136261; for each code unit,
 *    XOR it in, then multiply by 16777619 modulo 2^32.
 * 3. The path: `/` and the hash in base 36 (digits and lowercase letters, no padding).
 * 4. Under a base path: the base path (a leading `./` read as `/`, one trailing `/` dropped, a leading `/`
 *    added; empty or `/` for none) in front.
 */
export function tunnelPath(dsn: string, basePath = ''): string {
  const match = /^([^:/]+):\/\/([^/]*)@([^/@]+)\/(.*)$/.exec(dsn);
  if (match === null)
    throw new Error(
      `{{tunnelPath:${dsn}}}: not a DSN of the form scheme://public_key@host[:port]/[path/]project_id`,
    );
  const [, scheme, user, hostAndPort, location] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  const publicKey = user.split(':')[0];
  const lastSlash = location.lastIndexOf('/');
  const prefix = lastSlash === -1 ? '' : location.slice(0, lastSlash);
  const projectId = /^\d+/.exec(location.slice(lastSlash + 1))?.[0];
  if (!publicKey || projectId === undefined)
    throw new Error(`{{tunnelPath:${dsn}}}: no public key or no numeric project id`);
  const written = `${scheme}://${publicKey}@${hostAndPort}/${prefix ? `${prefix}/` : ''}${projectId}`;
  let hash = 2166136261;
  for (let index = 0; index < written.length; index++)
    hash = Math.imul(hash ^ written.charCodeAt(index), 16777619) >>> 0;
  return `${normaliseBasePath(basePath)}/${hash.toString(36)}`;
}

/** Step 4 of {@link tunnelPath}. */
export function normaliseBasePath(basePath: string): string {
  let base = basePath.replace(/^\.\//, '/').replace(/\/$/, '');
  if (!base.startsWith('/')) base = `/${base}`;
  return base === '/' ? '' : base;
}
