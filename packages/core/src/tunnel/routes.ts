import { envelopeUrl, formatDsn, parseDsn, type Dsn } from './dsn.js';
import type { TunnelRoute } from './options.js';

/** One place an envelope goes. */
export interface Target {
  dsn: Dsn;
  url: string;
  /** The DSN string written into the envelope header of a copy. */
  written: string;
  /** A copy for another project than the inbound DSN names: its envelope header is rewritten. */
  rewrite: boolean;
}

/** What an allowed inbound DSN maps to: the primary answers the browser, secondaries get copies. */
export interface CompiledRoute {
  inbound: Dsn;
  primary: Target;
  secondaries: Target[];
}

function parseConfigured(value: unknown, where: string): Dsn {
  const dsn = typeof value === 'string' ? parseDsn(value) : null;
  if (dsn === null) {
    throw new TypeError(
      `${where}: ${JSON.stringify(value)} is not a Sentry DSN such as "https://0123abcd@o1.ingest.sentry.io/42" (scheme, public key, host, optional port and path, numeric project id; no query).`,
    );
  }
  return dsn;
}

function target(dsn: Dsn, inbound: Dsn): Target {
  return { dsn, url: envelopeUrl(dsn), written: formatDsn(dsn), rewrite: dsn.key !== inbound.key };
}

/**
 * Compiles the `dsns` option once into a lookup by normalised DSN. An empty or missing list is a
 * configuration error at startup: a tunnel that forwards nowhere, or anywhere, is never what was meant.
 */
export function compileRoutes(
  dsns: readonly (string | TunnelRoute)[] | undefined,
): ReadonlyMap<string, CompiledRoute> {
  if (!Array.isArray(dsns) || dsns.length === 0) {
    throw new TypeError(
      'dsns is required: list the Sentry DSNs this tunnel may forward to, e.g. dsns: [process.env.SENTRY_DSN]. An empty list would make the tunnel refuse everything.',
    );
  }
  const routes = new Map<string, CompiledRoute>();
  dsns.forEach((entry: string | TunnelRoute, index) => {
    const route: TunnelRoute = typeof entry === 'string' ? { dsn: entry } : entry;
    const inbound = parseConfigured(route?.dsn, `dsns[${index}]`);
    if (routes.has(inbound.key))
      throw new TypeError(`dsns[${index}]: ${route.dsn} is listed twice.`);
    const outbound = route.forwardTo ?? [route.dsn];
    if (!Array.isArray(outbound) || outbound.length === 0)
      throw new TypeError(
        `dsns[${index}].forwardTo: list at least one DSN, or leave it out to forward to ${route.dsn} itself.`,
      );
    const targets = outbound.map((value, at) =>
      target(parseConfigured(value, `dsns[${index}].forwardTo[${at}]`), inbound),
    );
    routes.set(inbound.key, {
      inbound,
      primary: targets[0] as Target,
      secondaries: targets.slice(1),
    });
  });
  return routes;
}
