import { CORRELATION_KEYS, type BrowserEventType } from './event-types.js';

export interface SanitiseConfig {
  sdkName: string;
  service: string | undefined;
  environment: string | undefined;
}

/** Keys only the server side may set: a browser's are removed, never a reason to refuse the event (R-SANITIZE-1). */
const SERVER_SIDE_KEYS = ['project_token', 'project_id'] as const;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * What the relay decides before the schema check, in place on an event parsed from the request: its own
 * credentials, SDK name and service win over the browser's (R-SANITIZE-1 to 3, R-CRED-2), and a correlation
 * key of the wrong type is dropped so the event is checked without it (R-CORR-2). Keys no schema lists are
 * removed by the check itself.
 */
export function prepareEvent(
  event: Record<string, unknown>,
  type: BrowserEventType,
  config: SanitiseConfig,
): void {
  for (const key of SERVER_SIDE_KEYS) delete event[key];
  event.sdk_name = config.sdkName;
  if (config.service !== undefined || config.environment !== undefined) {
    const service = isPlainObject(event.service) ? { ...event.service } : {};
    if (config.service !== undefined) service.name = config.service;
    if (config.environment !== undefined) service.environment = config.environment;
    event.service = service;
  }
  const correlation = event.correlation;
  if (isPlainObject(correlation)) {
    for (const key of CORRELATION_KEYS[type]) {
      const value = correlation[key];
      if (Object.hasOwn(correlation, key) && typeof value !== 'string' && value !== null)
        delete correlation[key];
    }
  }
}

/** The trace id as the browser sent it: a string, null, or absent (undefined). */
export function traceIdOf(event: Record<string, unknown>): string | null | undefined {
  const correlation = event.correlation;
  return isPlainObject(correlation) && Object.hasOwn(correlation, 'trace_id')
    ? (correlation.trace_id as string | null)
    : undefined;
}

/** Puts back the browser's trace id (or its absence) after an app hook ran: nothing in the relay may generate or replace it. */
export function pinTraceId(
  event: Record<string, unknown>,
  traceId: string | null | undefined,
): void {
  const correlation: Record<string, unknown> = isPlainObject(event.correlation)
    ? { ...event.correlation }
    : {};
  if (traceId === undefined) delete correlation.trace_id;
  else correlation.trace_id = traceId;
  if (Object.keys(correlation).length === 0) delete event.correlation;
  else event.correlation = correlation;
}
