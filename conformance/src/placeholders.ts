import { tunnelPath } from './tunnel-path.js';
import type { JsonValue } from './types.js';

/** The upstreams a run's placeholders stand for: the recording sink, and a loopback port nothing listens on. */
export interface Placeholders {
  upstream: string;
  unreachable: string;
  /** Eight hexadecimal digits drawn once per run, so the event ids of a run are new to a relay that remembers earlier ones. */
  run: string;
  tempDir?: string;
}

/** `{{tunnelPath:<dsn>}}`, once the placeholders inside `<dsn>` are filled in. */
const TUNNEL_PATH = /\{\{tunnelPath:([^{}]*)\}\}/g;

/**
 * Replaces `{{upstream}}`, `{{unreachable}}`, `{{run}}` and `{{tempDir}}` in every string of a JSON value,
 * then `{{tunnelPath:<dsn>}}` with the managed tunnel path of `<dsn>` (SPEC section 25), e.g. `/16ym0ib`.
 */
export function fillPlaceholders<T extends JsonValue>(value: T, places: Placeholders): T {
  if (typeof value === 'string') {
    let out: string = value
      .replaceAll('{{upstream}}', places.upstream)
      .replaceAll('{{unreachable}}', places.unreachable)
      .replaceAll('{{run}}', places.run);
    if (places.tempDir !== undefined) out = out.replaceAll('{{tempDir}}', places.tempDir);
    if (out.includes('{{tunnelPath:'))
      out = out.replace(TUNNEL_PATH, (_match, dsn: string) => tunnelPath(dsn));
    return out as T;
  }
  if (Array.isArray(value)) return value.map((item) => fillPlaceholders(item, places)) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, fillPlaceholders(item, places)]),
    ) as T;
  return value;
}
