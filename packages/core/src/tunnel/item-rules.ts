import type { DropReason, RelayResponse } from '../request.js';
import { jsonResponse } from '../respond.js';
import type { ScrubOptions } from '../scrub/options.js';
import { compileScrubber, type Scrubber } from '../scrub/scrubber.js';
import { compileServerContext, type Enrich, type ServerContext } from './enrich.js';
import { compileEventFilter, type EventFilter, type EventFilters } from './event-filter.js';
import {
  applySplices,
  envelopeItems,
  MAX_READ_ENVELOPE_BYTES,
  MAX_READ_ITEM_BYTES,
  parseJsonBytes,
  removeItem,
  replacePayload,
  TOO_DEEP,
  type EnvelopeItem,
  type Splice,
} from './items.js';

/** The tunnel's options that look past the envelope header, besides `scrub`. */
export interface TunnelItemOptions {
  /**
   * Item types never forwarded, e.g. `['replay_event', 'replay_recording', 'client_report']`. The other
   * items and the envelope header go upstream byte for byte. Not with `allowItems`.
   */
  dropItems?: readonly string[];
  /** The only item types forwarded, e.g. `['event', 'transaction', 'span']`; every other item is removed. Not with `dropItems`. */
  allowItems?: readonly string[];
  /** Sentry's inbound filters for `event` items: error-message and release globs (`*`, case-insensitive). */
  eventFilters?: EventFilters;
  /** `release`, `serverName`, `environment` set on `event` items that have none; the browser's own values win. */
  serverContext?: ServerContext;
}

/**
 * Item types Sentry knows (Relay's `ItemType`, and what the JavaScript SDKs send). A name not on the list
 * is refused at startup rather than matching nothing: `dropItems: ['replay']` would otherwise drop no
 * replay and say nothing, and `allowItems: ['events']` would drop every event.
 */
export const ITEM_TYPES: ReadonlySet<string> = new Set([
  'event',
  'transaction',
  'security',
  'attachment',
  'form_data',
  'raw_security',
  'nel',
  'unreal_report',
  'user_report',
  'feedback',
  'session',
  'sessions',
  'statsd',
  'metric_buckets',
  'client_report',
  'profile',
  'profile_chunk',
  'replay_event',
  'replay_recording',
  'replay_video',
  'check_in',
  'log',
  'span',
  'otel_span',
  'otel_traces_data',
  'trace_metric',
]);

/** Names Relay reads as another type: Android SDK 8.10 and 8.11 send `profile_chunk_ui`. */
const ALIASES: ReadonlyMap<string, string> = new Map([['profile_chunk_ui', 'profile_chunk']]);

const canonical = (type: string): string => ALIASES.get(type) ?? type;

/** Item types scrubbing reads (R-SCRUB-1). `replay_event` is JSON too, but scrubbing it is a change to the contract first. */
export const SCRUBBED_ITEM_TYPES: ReadonlySet<string> = new Set(['event', 'transaction', 'log']);

/**
 * Items that belong to the event of their envelope: when an event filter drops the event, they go with
 * it, as Sentry's inbound filters drop an error's attachments with it. An attachment left behind would
 * reach Sentry without its event.
 */
const EVENT_BOUND_TYPES: ReadonlySet<string> = new Set(['attachment', 'form_data', 'user_report']);

/** Items removed from one envelope, by reason. */
export type DroppedItems = Partial<Record<DropReason, number>>;

export type EnvelopeRewrite =
  | {
      ok: true;
      /** The envelope to forward: the very same object when nothing changed. */
      bytes: Uint8Array;
      changed: boolean;
      /** The envelope had items and none is left: nothing is to go upstream. */
      emptied: boolean;
      dropped?: DroppedItems;
    }
  | { ok: false; code: 'envelope_invalid' | 'payload_too_large'; detail: string };

export type EnvelopeRewriter = (bytes: Uint8Array) => Promise<EnvelopeRewrite>;

/** What is done to the items of every envelope, compiled. */
export interface ItemRules {
  scrubber?: Scrubber;
  /** Whether an item of this (canonical) type is forwarded at all. */
  keepType?: (type: string) => boolean;
  eventFilter?: EventFilter;
  enrich?: Enrich;
}

function typeList(value: unknown, key: 'dropItems' | 'allowItems'): Set<string> {
  if (!Array.isArray(value))
    throw new TypeError(
      `${key}: must be a list of Sentry item types such as ['replay_event', 'client_report'], got ${JSON.stringify(value)}.`,
    );
  const types = new Set<string>();
  value.forEach((entry: unknown, index) => {
    const type = typeof entry === 'string' ? canonical(entry) : undefined;
    if (type === undefined || !ITEM_TYPES.has(type)) {
      throw new TypeError(
        `${key}[${index}]: ${JSON.stringify(entry)} is not a Sentry envelope item type. Known types: ${[...ITEM_TYPES].join(', ')}.`,
      );
    }
    types.add(type);
  });
  return types;
}

/** Compiles `dropItems` / `allowItems`; undefined when every type is forwarded. */
export function compileTypeFilter(
  options: Pick<TunnelItemOptions, 'dropItems' | 'allowItems'>,
): ((type: string) => boolean) | undefined {
  const { dropItems, allowItems } = options;
  if (dropItems !== undefined && allowItems !== undefined) {
    throw new TypeError(
      'dropItems and allowItems: set one or the other, not both. dropItems lists the item types to remove and forwards the rest; allowItems lists the only types forwarded.',
    );
  }
  if (allowItems !== undefined) {
    const allowed = typeList(allowItems, 'allowItems');
    if (allowed.size === 0)
      throw new TypeError(
        'allowItems: list at least one item type, e.g. [event]; an empty list would forward nothing at all. To forward every type, leave allowItems out.',
      );
    return (type) => allowed.has(type);
  }
  if (dropItems !== undefined) {
    const refused = typeList(dropItems, 'dropItems');
    if (refused.size === 0) return undefined;
    return (type) => !refused.has(type);
  }
  return undefined;
}

/** Compiles every option that reads or changes items, once; undefined when envelopes are forwarded as they are. */
export function compileItemRules(
  options: TunnelItemOptions & { scrub?: ScrubOptions },
): EnvelopeRewriter | undefined {
  return createEnvelopeRewriter({
    scrubber: options.scrub ? compileScrubber(options.scrub) : undefined,
    keepType: compileTypeFilter(options),
    eventFilter: compileEventFilter(options.eventFilters),
    enrich: compileServerContext(options.serverContext),
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const encoder = new TextEncoder();

/**
 * The pass over an envelope's items that every item option shares: each item is framed once, dropped by
 * type without reading its payload, and a JSON item is parsed at most once (under the size and depth
 * limits) for enrichment, event filters and scrubbing together, then serialised once if any of them
 * changed it. Removed items take their bytes with them; every other byte, the header line included, is
 * copied as it came.
 */
export function createEnvelopeRewriter(rules: ItemRules): EnvelopeRewriter | undefined {
  const { scrubber, keepType, eventFilter, enrich } = rules;
  if (!scrubber && !keepType && !eventFilter && !enrich) return undefined;
  const readsEvents = eventFilter !== undefined || enrich !== undefined;
  const reads = (type: string): boolean =>
    (readsEvents && type === 'event') || (scrubber !== undefined && SCRUBBED_ITEM_TYPES.has(type));
  const readers = [
    scrubber && 'scrub',
    eventFilter && 'eventFilters',
    enrich && 'serverContext',
  ].filter((name): name is string => typeof name === 'string');
  const tooLarge = (type: string): string =>
    `${readers.length === 1 && scrubber ? 'With scrubbing on' : `With ${readers.join(' and ')} on`}, an ${type} item may be at most ${MAX_READ_ITEM_BYTES} bytes, and such items ${MAX_READ_ENVELOPE_BYTES} bytes in all.`;

  return async (bytes) => {
    const splices: Splice[] = [];
    let dropped: DroppedItems | undefined;
    const drop = (item: EnvelopeItem, reason: DropReason): void => {
      splices.push(removeItem(item));
      dropped ??= {};
      dropped[reason] = (dropped[reason] ?? 0) + 1;
    };
    let items = 0;
    let kept = 0;
    let readBytes = 0;
    let ordered = true;
    // Attachments seen before their event is judged; dropped with it if a filter drops it.
    let bound: EnvelopeItem[] = [];
    let eventDroppedFor: DropReason | undefined;

    for (const item of envelopeItems(bytes)) {
      if (!('index' in item)) return item;
      items++;
      const type = canonical(item.type);
      if (keepType && !keepType(type)) {
        drop(item, 'item_type');
        continue;
      }
      if (eventFilter && EVENT_BOUND_TYPES.has(type)) {
        if (eventDroppedFor !== undefined) drop(item, eventDroppedFor);
        else {
          bound.push(item);
          kept++;
        }
        continue;
      }
      if (!reads(type)) {
        kept++;
        continue;
      }
      const size = item.payloadEnd - item.payloadStart;
      readBytes += size;
      if (size > MAX_READ_ITEM_BYTES || readBytes > MAX_READ_ENVELOPE_BYTES)
        return { ok: false, code: 'payload_too_large', detail: tooLarge(item.type) };
      const payload = parseJsonBytes(bytes.subarray(item.payloadStart, item.payloadEnd));
      if (payload === TOO_DEEP)
        return {
          ok: false,
          code: 'envelope_invalid',
          detail: `Item ${item.index} nests deeper than 64 levels.`,
        };
      // A payload that is not JSON is left as sent: Sentry judges it; the relay only removes data.
      if (payload === undefined) {
        kept++;
        continue;
      }
      let changed = false;
      if (type === 'event' && isObject(payload)) {
        // Enriched first, so a release filter sees the release Sentry would see.
        if (enrich?.(payload)) changed = true;
        const reason = eventFilter?.(payload);
        if (reason !== undefined) {
          drop(item, reason);
          eventDroppedFor = reason;
          if (bound.length > 0) ordered = false;
          for (const attachment of bound) drop(attachment, reason);
          kept -= bound.length;
          bound = [];
          continue;
        }
      }
      if (scrubber && SCRUBBED_ITEM_TYPES.has(type) && (await scrubber.scrub(payload)))
        changed = true;
      if (changed) splices.push(...replacePayload(item, encoder.encode(JSON.stringify(payload))));
      kept++;
    }

    if (splices.length === 0) return { ok: true, bytes, changed: false, emptied: false };
    if (!ordered) splices.sort((a, b) => a.start - b.start);
    return {
      ok: true,
      bytes: applySplices(bytes, splices),
      changed: true,
      emptied: items > 0 && kept === 0,
      dropped,
    };
  };
}

/** Relay answers an envelope id as 32 lowercase hexadecimal digits; it reads one with or without hyphens. */
function eventIdOf(header: Record<string, unknown>): string | undefined {
  const id = header.event_id;
  if (typeof id !== 'string') return undefined;
  if (!/^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.test(id))
    return undefined;
  return id.replaceAll('-', '').toLowerCase();
}

/**
 * The answer to an envelope whose every item was removed, given without asking Sentry: what current Relay
 * answers an envelope with no items, `200` with `{"id": <event_id>}` (or `{}` when the header has no event
 * id). The SDK reads a `2xx` as delivered: it neither retries nor backs off.
 */
export function emptiedEnvelopeAnswer(
  header: Record<string, unknown>,
  headers: Record<string, string>,
  dropped: DroppedItems | undefined,
): RelayResponse {
  const id = eventIdOf(header);
  const response = jsonResponse(200, id === undefined ? {} : { id }, headers);
  if (dropped) response.summary = { dropped };
  return response;
}

/** `response` with the items removed from its envelope in its summary, for logs and metrics. */
export function withDropped(
  response: RelayResponse,
  dropped: DroppedItems | undefined,
): RelayResponse {
  if (dropped) response.summary = { ...response.summary, dropped };
  return response;
}
