import { BROWSER_EVENT_SCHEMAS, type BrowserEventType } from './event-types.js';
import type { BrowserEvent } from './validate.js';

/** The top-level keys each type may carry, read from its schema; anything else (a client-sent `project_token`, say) is removed. */
const ALLOWED_KEYS = Object.fromEntries(
  Object.entries(BROWSER_EVENT_SCHEMAS).map(([type, schema]) => [type, Object.keys(schema.properties)]),
) as unknown as Record<BrowserEventType, readonly string[]>;

const CORRELATION_FIELDS = ['request_id', 'trace_id', 'session_id', 'user_id_hash'] as const;

export interface SanitiseConfig {
  sdkName: string;
  service: string | undefined;
  environment: string | undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keeps the four correlation fields when they are strings or null, exactly as the browser sent them. */
function sanitiseCorrelation(value: unknown): Record<string, string | null> | undefined {
  if (!isPlainObject(value)) return undefined;
  const out: Record<string, string | null> = {};
  let kept = 0;
  for (const field of CORRELATION_FIELDS) {
    const fieldValue = value[field];
    if (Object.hasOwn(value, field) && (typeof fieldValue === 'string' || fieldValue === null)) {
      out[field] = fieldValue;
      kept++;
    }
  }
  return kept > 0 ? out : undefined;
}

/** A new event holding only what the contract lets a browser say, with the relay's own fields forced. */
export function sanitiseEvent(event: BrowserEvent, config: SanitiseConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ALLOWED_KEYS[event.type]) {
    if (Object.hasOwn(event, key)) out[key] = event[key];
  }
  out.sdk_name = config.sdkName;
  const correlation = sanitiseCorrelation(event.correlation);
  if (correlation === undefined) delete out.correlation;
  else out.correlation = correlation;
  if (config.service !== undefined || config.environment !== undefined) {
    const service = isPlainObject(out.service) ? { ...out.service } : {};
    if (config.service !== undefined) service.name = config.service;
    if (config.environment !== undefined) service.environment = config.environment;
    out.service = service;
  }
  return out;
}

/** The trace id as sanitising left it: a string, null, or absent (undefined). */
export function traceIdOf(event: Record<string, unknown>): string | null | undefined {
  const correlation = event.correlation;
  return isPlainObject(correlation) && Object.hasOwn(correlation, 'trace_id') ? (correlation.trace_id as string | null) : undefined;
}

/** Puts back the browser's trace id (or its absence) after an app hook ran: nothing in the relay may generate or replace it. */
export function pinTraceId(event: Record<string, unknown>, traceId: string | null | undefined): void {
  const correlation: Record<string, unknown> = isPlainObject(event.correlation) ? { ...event.correlation } : {};
  if (traceId === undefined) delete correlation.trace_id;
  else correlation.trace_id = traceId;
  if (Object.keys(correlation).length === 0) delete event.correlation;
  else event.correlation = correlation;
}
