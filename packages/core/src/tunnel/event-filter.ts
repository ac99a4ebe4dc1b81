import { compileGlobList, type GlobList } from './glob.js';

/**
 * Inbound filters for `event` items, as Sentry's project settings have them ("Error Message" and
 * "Releases", relay-filter `error_messages.rs` and `releases.rs`): glob patterns, `*` for any characters,
 * case-insensitive. An event a filter matches is not forwarded.
 */
export interface EventFilters {
  /**
   * Drop an event whose message matches one of these: its `logentry.formatted` (or, without it,
   * `logentry.message`; a string `message` counts as `logentry.formatted`), or `"<type>: <value>"` of any
   * of its `exception.values` (just the type, or just the value, when the other is empty).
   */
  errorMessages?: readonly string[];
  /** Drop an event whose `release` matches one of these, e.g. `"1.2.*"`. */
  releases?: readonly string[];
}

/** Why an event was not forwarded, as counted in `RelayResponse.summary.dropped`. */
export type EventFilterReason = 'error_message' | 'release';

export type EventFilter = (event: Record<string, unknown>) => EventFilterReason | undefined;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

const LOGENTRY_KEYS = ['logentry', 'sentry.interfaces.Message', 'message'] as const;
const EXCEPTION_KEYS = ['exception', 'sentry.interfaces.Exception'] as const;

/**
 * The strings Sentry's error-message filter matches for one event, in its order. Relay also reads
 * `logentry` under its legacy names `sentry.interfaces.Message` and `message` (a plain string there being the
 * formatted message), and `exception` as `sentry.interfaces.Exception` (relay-event-schema `Event`'s
 * `legacy_alias`es); every spelling present is read, so no alias slips an event past a pattern.
 */
export function eventMessages(event: Record<string, unknown>): string[] {
  const messages: string[] = [];
  for (const key of LOGENTRY_KEYS) {
    const logentry = event[key];
    if (typeof logentry === 'string') messages.push(logentry);
    else if (isObject(logentry)) {
      if (typeof logentry.formatted === 'string') messages.push(logentry.formatted);
      else if (typeof logentry.message === 'string') messages.push(logentry.message);
    }
  }
  for (const key of EXCEPTION_KEYS) {
    const exception = event[key];
    // Relay takes `exception` as `{values: [...]}` or, in the legacy form, as the list itself.
    const values = Array.isArray(exception)
      ? exception
      : isObject(exception) && Array.isArray(exception.values)
        ? exception.values
        : [];
    for (const value of values) {
      if (!isObject(value)) continue;
      const type = text(value.type);
      const description = text(value.value);
      messages.push(
        type === '' ? description : description === '' ? type : `${type}: ${description}`,
      );
    }
  }
  return messages;
}

/** An event's release as Relay reads it: a string, or a number or boolean it takes as that string. */
export function eventRelease(event: Record<string, unknown>): string {
  const release = event.release;
  if (typeof release === 'string') return release;
  if ((typeof release === 'number' && Number.isFinite(release)) || typeof release === 'boolean')
    return String(release);
  return '';
}

/** Compiles the `eventFilters` option once; undefined when it filters nothing. */
export function compileEventFilter(filters: EventFilters | undefined): EventFilter | undefined {
  if (filters === undefined) return undefined;
  if (!isObject(filters))
    throw new TypeError(
      `eventFilters: must be an object { errorMessages?, releases? } of glob lists, got ${JSON.stringify(filters)}.`,
    );
  for (const key of Object.keys(filters)) {
    if (key !== 'errorMessages' && key !== 'releases')
      throw new TypeError(
        `eventFilters.${key}: is not an event filter (they are errorMessages and releases).`,
      );
  }
  const messages: GlobList | undefined =
    filters.errorMessages === undefined
      ? undefined
      : compileGlobList(filters.errorMessages, 'eventFilters.errorMessages');
  const releases: GlobList | undefined =
    filters.releases === undefined
      ? undefined
      : compileGlobList(filters.releases, 'eventFilters.releases');
  const hasMessages = messages !== undefined && messages.patterns.length > 0;
  const hasReleases = releases !== undefined && releases.patterns.length > 0;
  if (!hasMessages && !hasReleases) return undefined;
  return (event) => {
    if (hasMessages && eventMessages(event).some((message) => messages.matchesAny(message)))
      return 'error_message';
    if (hasReleases && releases.matchesAny(eventRelease(event))) return 'release';
    return undefined;
  };
}
