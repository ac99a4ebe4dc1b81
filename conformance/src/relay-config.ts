import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillPlaceholders, type Placeholders } from './placeholders.js';
import type { RelayConfig } from './targets.js';
import { tunnelPath } from './tunnel-path.js';
import type { JsonValue, Profile, Protocol } from './types.js';

export const DEFAULT_PATHS: Record<Protocol, string> = {
  browser: '/debugbundle/browser',
  'sentry-tunnel': '/postern/tunnel',
};

const TEMP_DIR = '{{tempDir}}';

function usesTempDir(value: JsonValue): boolean {
  if (typeof value === 'string') return value.includes(TEMP_DIR);
  if (Array.isArray(value)) return value.some(usesTempDir);
  return value !== null && typeof value === 'object' && Object.values(value).some(usesTempDir);
}

/** A tunnel whose fixed path is off (`path: false`) is addressed on the managed path of its first DSN (SPEC section 25). */
function managedRoute(relay: Record<string, JsonValue>): string {
  const first = (relay.dsns as JsonValue[] | undefined)?.[0];
  const dsn = typeof first === 'string' ? first : (first as { dsn?: JsonValue } | undefined)?.dsn;
  if (typeof dsn !== 'string') throw new Error('a profile with path: false must list dsns');
  return tunnelPath(dsn, typeof relay.basePath === 'string' ? relay.basePath : '');
}

/** The options a relay starts with, and the fresh directory made for `{{tempDir}}` (removed once the relay stops). */
export async function relayConfig(
  profile: Profile,
  sinkUrl: string,
  places: Placeholders,
): Promise<{ config: RelayConfig; tempDir?: string }> {
  const protocol = profile.protocol ?? 'browser';
  const path =
    typeof profile.relay.path === 'string' || profile.relay.path === false
      ? profile.relay.path
      : DEFAULT_PATHS[protocol];
  const tempDir = usesTempDir(profile.relay)
    ? await mkdtemp(join(tmpdir(), `postern-${profile.name}-`))
    : undefined;
  const relay = fillPlaceholders(
    profile.relay,
    tempDir === undefined ? places : { ...places, tempDir },
  );
  const options: RelayConfig['options'] = { ...relay, path };
  if (protocol === 'browser')
    options.endpoint =
      profile.upstream === 'unreachable'
        ? `http://${places.unreachable}/v1/events`
        : `${sinkUrl}/v1/events`;
  const route = path === false ? managedRoute(relay) : path;
  return {
    config: { profile: profile.name, protocol, upstreamUrl: sinkUrl, route, options },
    ...(tempDir === undefined ? {} : { tempDir }),
  };
}
