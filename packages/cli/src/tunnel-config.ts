import { createTunnel, TUNNEL_DEFAULTS, type TunnelOptions } from '@postern/core';

/** The settings `tunnel:` may hold, checked like top-level keys: the `TunnelOptions` of `@postern/core` that a file can express. */
export const TUNNEL_KEYS = [
  'dsns',
  'path',
  'managedPaths',
  'basePath',
  'allowedOrigins',
  'trustProxy',
  'rateLimitPerMinute',
  'rateLimit',
  'maxEnvelopeBytes',
  'maxDecodedBytesInFlight',
  'maxDecodedBytesPerClient',
  'maxCompressionRatio',
  'upstreamTimeoutMs',
  'scrub',
  'dropItems',
  'allowItems',
  'eventFilters',
  'serverContext',
] as const;

/** The tunnel's settings that fall back to the top-level ones: the same pages send to both routes, through the same proxies. */
export const INHERITED_TUNNEL_KEYS = ['allowedOrigins', 'trustProxy'] as const;

export const TUNNEL_EXAMPLE = '{ dsns: [https://0123abcd@o1.ingest.sentry.io/42] }';

/** What the config checker needs to check one value as it checks a top-level key; returns the problem or undefined. */
export type CheckAs = (
  key: string,
  spec: { kind: string; example: string; min?: number },
  value: unknown,
) => string | undefined;

function isMapping(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Problems with a `tunnel:` mapping, each naming `tunnel.<key>` and the fix. The value kinds are the
 * top-level checker's; the DSNs, the scrub rules and the numbers are then compiled by the engine itself
 * (without sending anything), so a bad DSN is reported at start and by `postern doctor`, not on the first envelope.
 */
export function tunnelProblems(value: unknown, where: string, checkAs: CheckAs): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [
      `${where}tunnel: must be a mapping with at least dsns, got ${JSON.stringify(value)}. Fix: set tunnel: ${TUNNEL_EXAMPLE}.`,
    ];
  }
  const problems: string[] = [];
  const tunnel = value as Record<string, unknown>;
  for (const [key, item] of Object.entries(tunnel)) {
    const problem = ((): string | undefined => {
      switch (key) {
        case 'dsns':
          return Array.isArray(item) && item.length > 0
            ? undefined
            : `${where}tunnel.dsns: must be a non-empty list of Sentry DSNs, got ${JSON.stringify(item)}. Fix: set tunnel: ${TUNNEL_EXAMPLE}.`;
        case 'path':
          return (typeof item === 'string' && item.startsWith('/')) || item === false
            ? undefined
            : `${where}tunnel.path: must be a path starting with /, or false to serve only the managed paths, got ${JSON.stringify(item)}. Fix: set tunnel.path: ${TUNNEL_DEFAULTS.path}.`;
        case 'managedPaths':
          return typeof item === 'boolean'
            ? undefined
            : `${where}tunnel.managedPaths: must be true or false, got ${JSON.stringify(item)}. Fix: set tunnel.managedPaths: true to answer Sentry.init({ tunnel: true }).`;
        case 'basePath':
          return typeof item === 'string'
            ? undefined
            : `${where}tunnel.basePath: must be a path prefix such as /monitoring, got ${JSON.stringify(item)}. Fix: set tunnel.basePath: /monitoring, or remove it.`;
        case 'allowedOrigins':
          return checkAs(
            'tunnel.allowedOrigins',
            { kind: 'origins', example: '[https://app.example.com]' },
            item,
          );
        case 'trustProxy':
          return checkAs(
            'tunnel.trustProxy',
            { kind: 'trustProxy', example: 'false, 1, or [loopback]' },
            item,
          );
        case 'rateLimitPerMinute':
          return checkAs(
            'tunnel.rateLimitPerMinute',
            { kind: 'integer', example: String(TUNNEL_DEFAULTS.rateLimitPerMinute), min: 1 },
            item,
          );
        case 'rateLimit':
          return checkAs(
            'tunnel.rateLimit',
            { kind: 'rateLimit', example: '{ limit: 60, windowMs: 60000 }' },
            item,
          );
        case 'maxEnvelopeBytes':
          return checkAs(
            'tunnel.maxEnvelopeBytes',
            { kind: 'integer', example: String(TUNNEL_DEFAULTS.maxEnvelopeBytes), min: 1 },
            item,
          );
        case 'maxDecodedBytesInFlight':
          return checkAs(
            'tunnel.maxDecodedBytesInFlight',
            { kind: 'integer', example: String(TUNNEL_DEFAULTS.maxDecodedBytesInFlight), min: 1 },
            item,
          );
        case 'maxDecodedBytesPerClient':
          return checkAs(
            'tunnel.maxDecodedBytesPerClient',
            { kind: 'integer', example: String(TUNNEL_DEFAULTS.maxEnvelopeBytes), min: 1 },
            item,
          );
        case 'maxCompressionRatio':
          return checkAs(
            'tunnel.maxCompressionRatio',
            {
              kind: 'integer',
              example: `${TUNNEL_DEFAULTS.maxCompressionRatio} (0 for no limit)`,
              min: 0,
            },
            item,
          );
        case 'upstreamTimeoutMs':
          return checkAs(
            'tunnel.upstreamTimeoutMs',
            { kind: 'integer', example: String(TUNNEL_DEFAULTS.upstreamTimeoutMs), min: 1 },
            item,
          );
        case 'scrub':
          return typeof item === 'object' && item !== null && !Array.isArray(item)
            ? undefined
            : `${where}tunnel.scrub: must be a mapping of scrub rules, got ${JSON.stringify(item)}. Fix: remove it, or see the @postern/core README for the rules.`;
        case 'dropItems':
        case 'allowItems':
          return Array.isArray(item) && item.every((entry) => typeof entry === 'string')
            ? undefined
            : `${where}tunnel.${key}: must be a list of Sentry item types, got ${JSON.stringify(item)}. Fix: set tunnel.${key}: ${key === 'dropItems' ? '[replay_event, replay_recording, client_report]' : '[event, transaction, span]'}.`;
        case 'eventFilters':
          return isMapping(item)
            ? undefined
            : `${where}tunnel.eventFilters: must be a mapping with errorMessages and/or releases (lists of globs), got ${JSON.stringify(item)}. Fix: set tunnel.eventFilters: { errorMessages: ["*ResizeObserver loop*"] }.`;
        case 'serverContext':
          return isMapping(item)
            ? undefined
            : `${where}tunnel.serverContext: must be a mapping with release, serverName and/or environment, got ${JSON.stringify(item)}. Fix: set tunnel.serverContext: { release: web@1.0.0, environment: production }.`;
        default:
          return `${where}tunnel.${key}: is not a tunnel setting. Fix: remove it or correct the spelling (tunnel settings: ${TUNNEL_KEYS.join(', ')}).`;
      }
    })();
    if (problem) problems.push(problem);
  }
  if (!('dsns' in tunnel))
    problems.push(`${where}tunnel.dsns: is required. Fix: set tunnel: ${TUNNEL_EXAMPLE}.`);
  return problems;
}

/**
 * The tunnel options `postern serve` runs with: the checked `tunnel:` mapping, with `allowedOrigins` and
 * `trustProxy` taken from the top level when the tunnel does not set its own. Its rate limit is its own
 * (default 300 envelopes per client per minute), counted apart from the relay's.
 */
export function resolveTunnel(
  tunnel: Record<string, unknown>,
  top: Record<string, unknown>,
): TunnelOptions {
  const resolved: Record<string, unknown> = { ...tunnel };
  for (const key of INHERITED_TUNNEL_KEYS)
    if (resolved[key] === undefined && top[key] !== undefined) resolved[key] = top[key];
  return resolved as unknown as TunnelOptions;
}

/**
 * What the engine itself refuses in resolved tunnel options (a malformed DSN, a bad scrub rule, `path: false`
 * without managed paths), as `tunnel.<key>` problems; or the paths the tunnel will answer.
 */
export function compileTunnelConfig(
  options: TunnelOptions,
  source: string,
): { problem: string } | { paths: readonly string[] } {
  try {
    const tunnel = createTunnel({
      ...options,
      fetch: () => Promise.reject(new Error('not sending while checking the configuration')),
    });
    void tunnel.close();
    return { paths: tunnel.paths };
  } catch (error) {
    return {
      problem: `${source}: tunnel.${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
