import type { EventErrorCode } from '../errors.js';
import {
  SERVER_ONLY_EVENT_TYPES,
  isBrowserEventType,
  type BrowserEventType,
} from './event-types.js';
import { prepareEvent, type SanitiseConfig } from './sanitise.js';
import * as generated from './validators.generated.js';

export type BrowserEvent = Record<string, unknown> & {
  event_type: BrowserEventType;
  event_id: string;
};

export type EventCheck =
  | { ok: true; event: BrowserEvent }
  | { ok: false; code: EventErrorCode; message: string };

/**
 * Ajv's validators for the contract's event schemas, compiled when the package is built
 * (scripts/generate-validators.mjs), so nothing is compiled at run time: Cloudflare Workers and Vercel Edge
 * refuse code generation from strings. `removeAdditional` makes the check and the removal of unknown keys one
 * pass: each closed object of a schema (`additionalProperties: false`) loses the keys it does not list, at
 * any depth, so what passes is what DebugBundle's ingestion accepts (R-SANITIZE-1, R-SANITIZE-5).
 */
const validators: Record<BrowserEventType, typeof generated.frontend_exception> = generated;

/** Checks an event against its type's schema, removing the keys it does not list (in place). */
export function validateEvent(event: Record<string, unknown>, type: BrowserEventType): EventCheck {
  const validate = validators[type];
  if (validate(event)) return { ok: true, event: event as BrowserEvent };
  const first = validate.errors?.[0];
  // Ajv's message names the rule (a type, a limit), never the value that broke it; a pattern is named by
  // its field only, since some are hundreds of characters long and an answer lists up to 256 of these.
  const where = first?.instancePath ? first.instancePath : '(event)';
  const what =
    first?.keyword === 'pattern'
      ? 'does not have the required format'
      : (first?.message ?? 'is invalid');
  return { ok: false, code: 'event_invalid', message: `${type}: ${where} ${what}` };
}

/** One item of a batch: refused by kind, or prepared (section 11) and checked against its type's schema. */
export function checkEvent(item: unknown, config: SanitiseConfig): EventCheck {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return { ok: false, code: 'event_not_object', message: 'event must be a JSON object' };
  }
  const event = item as Record<string, unknown>;
  const type = event.event_type;
  if (typeof type !== 'string')
    return { ok: false, code: 'event_type_missing', message: 'event has no string "event_type"' };
  if (SERVER_ONLY_EVENT_TYPES.has(type)) {
    return {
      ok: false,
      code: 'event_type_server_only',
      message: `event type "${type}" is accepted only from server SDKs`,
    };
  }
  if (!isBrowserEventType(type)) {
    return {
      ok: false,
      code: 'event_type_unknown',
      message: `event type "${type.slice(0, 64)}" is not accepted`,
    };
  }
  prepareEvent(event, type, config);
  return validateEvent(event, type);
}
