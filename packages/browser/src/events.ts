// The events of DebugBundle's browser-batch protocol, exactly as its browser SDKs put them on the wire
// (Relay Contract section 10; the shapes are conformance/schemas/events/*.schema.json).

declare const __POSTERN_BROWSER_VERSION__: string | undefined;

export const SCHEMA_VERSION = '2026-03-01';
export const SDK_NAME = '@postern/browser';
/** The package version, baked in by the build; `0.0.0-dev` when the sources run unbuilt (tests). */
export const SDK_VERSION =
  typeof __POSTERN_BROWSER_VERSION__ === 'string' ? __POSTERN_BROWSER_VERSION__ : '0.0.0-dev';

export type EventType = 'frontend_exception' | 'frontend_breadcrumb' | 'request_event';
export type BreadcrumbType =
  | 'route_change'
  | 'click'
  | 'form_submit'
  | 'console_log'
  | 'network_request';
export const BREADCRUMB_TYPES: readonly BreadcrumbType[] = [
  'route_change',
  'click',
  'form_submit',
  'console_log',
  'network_request',
];

/** One event as it goes into `{"batch": [...]}`. */
export interface BrowserEvent {
  schema_version: string;
  event_id: string;
  event_type: EventType;
  sdk_name: string;
  sdk_version: string;
  service: { name: string; runtime: 'browser'; framework: null; environment: string };
  occurred_at: string;
  correlation: { request_id: null; trace_id: null; session_id: string; user_id_hash: null };
  payload: Record<string, unknown>;
}

/** A breadcrumb as a `frontend_exception` carries it in `payload.breadcrumbs`. */
export interface Breadcrumb {
  breadcrumb_type: BreadcrumbType;
  route: string | null;
  data: Record<string, unknown>;
  ts: string;
}

/** Who sends: fixed for one `init`. */
export interface Sender {
  service: string;
  environment: string;
  sessionId: string;
}

const MAX_TEXT = 2000;
const MAX_STACK = 16_000;

/** A UUID v4: `crypto.randomUUID` where the page is a secure context, random bytes elsewhere. */
export function uuid(): string {
  const crypto = globalThis.crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  const bytes =
    typeof crypto?.getRandomValues === 'function'
      ? crypto.getRandomValues(new Uint8Array(16))
      : Uint8Array.from({ length: 16 }, () => Math.floor(Math.random() * 256));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function envelope(
  sender: Sender,
  eventType: EventType,
  payload: Record<string, unknown>,
): BrowserEvent {
  return {
    schema_version: SCHEMA_VERSION,
    event_id: uuid(),
    event_type: eventType,
    sdk_name: SDK_NAME,
    sdk_version: SDK_VERSION,
    service: {
      name: sender.service,
      runtime: 'browser',
      framework: null,
      environment: sender.environment,
    },
    occurred_at: new Date().toISOString(),
    correlation: {
      request_id: null,
      trace_id: null,
      session_id: sender.sessionId,
      user_id_hash: null,
    },
    payload,
  };
}

/** The page's path, the `route` of every event; null outside a page. */
export function currentRoute(): string | null {
  const path = typeof location === 'undefined' ? '' : location.pathname;
  return path === '' ? null : path;
}

/** `value` cut to `max` characters, or `fallback` when it is empty or not a string. */
function text(value: unknown, fallback: string, max = MAX_TEXT): string {
  if (typeof value !== 'string' || value.trim() === '') return fallback;
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

/**
 * A snapshot of app data as plain JSON: what the app hands over is copied now (later changes do not leak
 * into the event) and can always be serialised (no cycles, BigInts or functions to break a batch).
 */
export function snapshot(data: unknown): Record<string, unknown> {
  if (data === undefined || data === null) return {};
  try {
    const copy: unknown = JSON.parse(JSON.stringify(data));
    return typeof copy === 'object' && copy !== null && !Array.isArray(copy)
      ? (copy as Record<string, unknown>)
      : { value: copy };
  } catch {
    return { unserialisable: true };
  }
}

export function breadcrumb(type: BreadcrumbType, data: unknown): Breadcrumb {
  return {
    breadcrumb_type: type,
    route: currentRoute(),
    data: snapshot(data),
    ts: new Date().toISOString(),
  };
}

export function breadcrumbPayload(crumb: Breadcrumb): Record<string, unknown> {
  return { breadcrumb_type: crumb.breadcrumb_type, route: crumb.route, data: crumb.data };
}

const BROWSERS: ReadonlyArray<readonly [string, RegExp]> = [
  ['Edge', /Edg(?:e|A|iOS)?\/([\d.]+)/],
  ['Opera', /OPR\/([\d.]+)/],
  ['Samsung Internet', /SamsungBrowser\/([\d.]+)/],
  ['Firefox', /(?:Firefox|FxiOS)\/([\d.]+)/],
  ['Chrome', /(?:Chrome|CriOS)\/([\d.]+)/],
  ['Safari', /Version\/([\d.]+).*Safari\//],
];

/** `payload.browser` of an exception, from the user agent; `unknown` for what it does not recognise. */
export function browserOf(userAgent: string | undefined): { name: string; version: string } {
  for (const [name, pattern] of BROWSERS) {
    const version = userAgent === undefined ? undefined : pattern.exec(userAgent)?.[1];
    if (version) return { name, version };
  }
  return { name: 'unknown', version: 'unknown' };
}

/** A preview of any thrown or rejected value, for messages. */
function preview(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol')
    return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

interface ErrorLike {
  name?: unknown;
  message: string;
  stack?: unknown;
}

const isErrorLike = (value: unknown): value is ErrorLike =>
  value instanceof Error ||
  (typeof value === 'object' && value !== null && typeof (value as ErrorLike).message === 'string');

/** What the `window` `error` event said about an uncaught error. */
export interface WindowErrorDetails {
  message?: string;
  filename?: string;
  lineno?: number;
  colno?: number;
}

export interface ExceptionSource {
  /** How the error reached the client: `captureException`, the `error` event, or `unhandledrejection`. */
  via: 'capture' | 'window_error' | 'unhandled_rejection';
  window?: WindowErrorDetails;
}

const lineNumber = (value: number | undefined): number | null =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : null;

/** The payload of a `frontend_exception`: name, message and stack (never empty), the browser, the route and recent breadcrumbs. */
export function exceptionPayload(
  error: unknown,
  source: ExceptionSource,
  breadcrumbs: readonly Breadcrumb[],
): Record<string, unknown> {
  const details = source.window;
  let name: string;
  let message: string;
  if (isErrorLike(error)) {
    name = text(error.name, 'Error', 200);
    message = text(error.message, '(no message)');
  } else {
    name = source.via === 'unhandled_rejection' ? 'UnhandledRejection' : 'Error';
    message = text(
      (error === undefined || error === null) && details ? details.message : preview(error),
      '(no message)',
    );
  }
  const stack = text(
    isErrorLike(error) ? error.stack : undefined,
    `${name}: ${message}`,
    MAX_STACK,
  );
  const payload: Record<string, unknown> = {
    name,
    message,
    stack,
    route: currentRoute(),
    browser: browserOf(typeof navigator === 'undefined' ? undefined : navigator.userAgent),
    breadcrumbs: breadcrumbs.map((crumb) => ({ ...crumb })),
  };
  if (source.via === 'window_error' && details) {
    payload.browser_event = {
      kind: 'window_error',
      message: details.message || null,
      file_name: details.filename || null,
      line_number: lineNumber(details.lineno),
      column_number: lineNumber(details.colno),
      target: null,
      // A script of another origin loaded without CORS: the browser hides everything but "Script error.".
      opaque: (error === undefined || error === null) && details.message === 'Script error.',
    };
  }
  if (source.via === 'unhandled_rejection') payload.rejection_reason = rejectionReason(error);
  return payload;
}

function rejectionReason(reason: unknown): Record<string, unknown> {
  if (isErrorLike(reason))
    return {
      kind: 'error',
      name: text(reason.name, 'Error', 200),
      message: text(reason.message, '(no message)'),
    };
  if (typeof reason === 'string')
    return reason === ''
      ? { kind: 'string' }
      : { kind: 'string', preview: text(reason, '(empty)', 500) };
  if (reason === null) return { kind: 'null' };
  if (reason === undefined) return { kind: 'undefined' };
  if (typeof reason === 'object')
    return { kind: 'object', preview: text(preview(reason), '(object)', 500) };
  return { kind: 'unknown', preview: text(preview(reason), '(unknown)', 500) };
}

/** The payload of a `request_event` for a request the page made that failed (status 0: no answer). */
export function requestPayload(
  method: string,
  url: URL,
  status: number,
  durationMs: number,
): Record<string, unknown> {
  return {
    method: text(method.toUpperCase(), 'GET', 20),
    path: url.pathname || '/',
    query: Object.fromEntries(url.searchParams),
    // Request headers are not recorded: they are where credentials live.
    headers: {},
    response_status: status,
    duration_ms: Math.max(0, Math.round(durationMs)),
  };
}
