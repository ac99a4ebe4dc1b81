/**
 * Server context for `event` items: what the server knows and a browser event may lack. Each value is set
 * only on an event that has none (absent, `null` or an empty string): the browser's own value wins. The
 * release a page reports is the bundle that page actually runs, which is what Sentry matches source maps
 * and regressions against; a tab opened before a deploy still runs the old bundle while the server already
 * reports the new one. The same goes for the environment a page was built for.
 */
export interface ServerContext {
  /** `release`, e.g. `web@2.4.0`: at most 200 characters, no newline, tab, `/` or `\`, not `.`, `..` or blank (Sentry's rules). */
  release?: string;
  /** `server_name`: which relay forwarded the event, e.g. the host name. */
  serverName?: string;
  /** `environment`, e.g. `production`: at most 64 characters, no newline or `/`, not `None` (Sentry's rules). */
  environment?: string;
}

/** Sets what is missing on one event; true when it changed it. */
export type Enrich = (event: Record<string, unknown>) => boolean;

const FIELDS = [
  ['release', 'release'],
  ['serverName', 'server_name'],
  ['environment', 'environment'],
] as const;

// Control characters (C0, DEL, C1): never part of a name Sentry shows.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why Sentry would not take `value` for `key`, or undefined. Relay drops an invalid release or environment from the event. */
function problem(key: (typeof FIELDS)[number][0], value: string): string | undefined {
  if (value.trim() === '') return 'must not be blank';
  if (CONTROL.test(value)) return 'must not contain control characters (newlines, tabs)';
  if (key === 'release') {
    if (value.length > 200) return 'must be at most 200 characters';
    if (/[/\\]/.test(value)) return 'must not contain / or \\';
    if (value === '.' || value === '..') return 'must not be . or ..';
  }
  if (key === 'environment') {
    if (value.length > 64) return 'must be at most 64 characters';
    if (value.includes('/')) return 'must not contain /';
    if (value === 'None') return 'must not be "None"';
  }
  if (key === 'serverName' && value.length > 256) return 'must be at most 256 characters';
  return undefined;
}

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** Compiles the `serverContext` option once; undefined when it sets nothing. */
export function compileServerContext(context: ServerContext | undefined): Enrich | undefined {
  if (context === undefined) return undefined;
  if (context === null || typeof context !== 'object' || Array.isArray(context)) {
    throw new TypeError(
      `serverContext: must be an object { release?, serverName?, environment? }, got ${JSON.stringify(context)}.`,
    );
  }
  const known = new Set<string>(FIELDS.map(([key]) => key));
  for (const key of Object.keys(context)) {
    if (!known.has(key))
      throw new TypeError(
        `serverContext.${key}: is not a server context field (they are release, serverName and environment).`,
      );
  }
  const set: Array<[string, string]> = [];
  for (const [key, field] of FIELDS) {
    const value: unknown = context[key];
    if (value === undefined) continue;
    if (typeof value !== 'string')
      throw new TypeError(`serverContext.${key}: must be a string, got ${JSON.stringify(value)}.`);
    const wrong = problem(key, value);
    if (wrong) throw new TypeError(`serverContext.${key}: ${wrong}, got ${JSON.stringify(value)}.`);
    set.push([field, value]);
  }
  if (set.length === 0) return undefined;
  return (event) => {
    let changed = false;
    for (const [field, value] of set) {
      if (!isMissing(event[field])) continue;
      event[field] = value;
      changed = true;
    }
    return changed;
  };
}
