/**
 * Every answer the relay gives to a request it refuses, with the HTTP status it goes out with.
 * Codes are part of the Relay Contract: clients and dashboards match on them, so they never change meaning.
 */
export const ERROR_CODES = {
  method_not_allowed: { status: 405, message: 'Only POST and OPTIONS are served on this route.' },
  not_found: { status: 404, message: 'No relay is mounted at this path.' },
  origin_missing: {
    status: 403,
    message: 'The request carries neither an Origin nor a Referer header.',
  },
  origin_not_allowed: { status: 403, message: 'The request origin is not allowed to send events.' },
  rate_limited: {
    status: 429,
    message: 'Too many requests from this client; retry after the given delay.',
  },
  unsupported_media_type: {
    status: 415,
    message: "The body's Content-Type or Content-Encoding is not one this route accepts.",
  },
  payload_too_large: { status: 413, message: 'The body is larger than this relay accepts.' },
  body_incomplete: {
    status: 400,
    message:
      'The body ended before it was complete (the client went away or was too slow); nothing was accepted.',
  },
  invalid_json: { status: 400, message: 'The body is not valid JSON.' },
  invalid_body: { status: 400, message: 'The body must be a JSON object with a "batch" array.' },
  batch_empty: { status: 400, message: 'The batch holds no events.' },
  batch_too_large: {
    status: 413,
    message: 'The batch holds more events than this relay takes in one request.',
  },
  encoding_invalid: {
    status: 400,
    message: 'The body could not be decoded with the Content-Encoding it was sent with.',
  },
  envelope_invalid: {
    status: 400,
    message: 'The body is not a Sentry envelope: its first line must be a JSON object.',
  },
  dsn_missing: { status: 400, message: 'The envelope header names no DSN.' },
  dsn_invalid: {
    status: 400,
    message:
      "The envelope header's DSN is not a Sentry DSN (scheme://public_key@host[:port][/path]/project_id).",
  },
  dsn_not_allowed: {
    status: 403,
    message: "The envelope's DSN is not one this tunnel forwards to.",
  },
  upstream_unreachable: {
    status: 502,
    message: 'The upstream could not be reached; nothing was accepted.',
  },
  upstream_timeout: {
    status: 504,
    message: 'The upstream did not answer in time; nothing was accepted.',
  },
  upstream_error: { status: 502, message: 'The upstream failed; nothing was accepted.' },
  upstream_rejected: {
    status: 502,
    message: "The upstream refused the relay's delivery; nothing was accepted.",
  },
  upstream_rate_limited: {
    status: 503,
    message: 'The upstream is rate limiting this relay; retry later.',
  },
  spool_full: {
    status: 503,
    message:
      "The relay's spool is full of events not yet delivered; nothing was accepted. Retry later.",
  },
  spool_unavailable: {
    status: 503,
    message:
      'The relay could not store the batch durably (spool directory or Redis); nothing was accepted.',
  },
  capacity_exceeded: {
    status: 503,
    message:
      'The relay is holding as many request bytes in memory as it may; nothing was accepted. Retry after the given delay.',
  },
  internal_error: {
    status: 500,
    message: 'The relay failed while handling the request; nothing was accepted.',
  },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Codes for a single event of a batch that the relay refused; the rest of the batch still goes through. */
export const EVENT_ERROR_CODES = {
  event_not_object: 'The event is not a JSON object.',
  event_type_missing: 'The event has no string "event_type".',
  event_type_server_only: 'The event type is for server SDKs and is never accepted from a browser.',
  event_type_unknown: 'The event type is not one this relay accepts.',
  event_invalid: 'The event does not match the schema of its type.',
} as const;

export type EventErrorCode = keyof typeof EVENT_ERROR_CODES;
