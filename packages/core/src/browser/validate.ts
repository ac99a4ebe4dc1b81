import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { EventErrorCode } from '../errors.js';
import { BROWSER_EVENT_SCHEMAS, COMMON_SCHEMA, SERVER_ONLY_EVENT_TYPES, isBrowserEventType, type BrowserEventType } from './event-types.js';
import { prepareEvent, type SanitiseConfig } from './sanitise.js';

export type BrowserEvent = Record<string, unknown> & { event_type: BrowserEventType; event_id: string };

export type EventCheck = { ok: true; event: BrowserEvent } | { ok: false; code: EventErrorCode; message: string };

let validators: Record<BrowserEventType, ValidateFunction> | undefined;

/**
 * Compiled on first use and shared by every relay in the process: compilation costs milliseconds, checking
 * microseconds. `removeAdditional` makes the check and the removal of unknown keys one pass: each closed
 * object of a schema (`additionalProperties: false`) loses the keys it does not list, at any depth, so what
 * passes is what DebugBundle's ingestion accepts (R-SANITIZE-1, R-SANITIZE-5).
 */
function compiled(): Record<BrowserEventType, ValidateFunction> {
  if (validators) return validators;
  const ajv = new Ajv2020({ allErrors: false, strict: true, allowUnionTypes: true, removeAdditional: true });
  ajv.addSchema(COMMON_SCHEMA);
  const entries = Object.entries(BROWSER_EVENT_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)]);
  validators = Object.fromEntries(entries) as Record<BrowserEventType, ValidateFunction>;
  return validators;
}

/** Checks an event against its type's schema, removing the keys it does not list (in place). */
export function validateEvent(event: Record<string, unknown>, type: BrowserEventType): EventCheck {
  const validate = compiled()[type];
  if (validate(event)) return { ok: true, event: event as BrowserEvent };
  const first = validate.errors?.[0];
  // Ajv's message names the rule (a type, a limit), never the value that broke it; a pattern is named by
  // its field only, since some are hundreds of characters long and an answer lists up to 256 of these.
  const where = first?.instancePath ? first.instancePath : '(event)';
  const what = first?.keyword === 'pattern' ? 'does not have the required format' : (first?.message ?? 'is invalid');
  return { ok: false, code: 'event_invalid', message: `${type}: ${where} ${what}` };
}

/** One item of a batch: refused by kind, or prepared (section 11) and checked against its type's schema. */
export function checkEvent(item: unknown, config: SanitiseConfig): EventCheck {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return { ok: false, code: 'event_not_object', message: 'event must be a JSON object' };
  }
  const event = item as Record<string, unknown>;
  const type = event.event_type;
  if (typeof type !== 'string') return { ok: false, code: 'event_type_missing', message: 'event has no string "event_type"' };
  if (SERVER_ONLY_EVENT_TYPES.has(type)) {
    return { ok: false, code: 'event_type_server_only', message: `event type "${type}" is accepted only from server SDKs` };
  }
  if (!isBrowserEventType(type)) {
    return { ok: false, code: 'event_type_unknown', message: `event type "${type.slice(0, 64)}" is not accepted` };
  }
  prepareEvent(event, type, config);
  return validateEvent(event, type);
}
