import { ERROR_CODES, type ErrorCode } from './errors.js';
import type { RelayResponse } from './request.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export function jsonResponse(status: number, body: unknown, headers: Record<string, string>): RelayResponse {
  headers['content-type'] = JSON_TYPE;
  headers['cache-control'] = 'no-store';
  return { status, headers, body: JSON.stringify(body) };
}

/** A request-level refusal: the status and the stable code from the catalogue, and a sentence for people. */
export function errorResponse(code: ErrorCode, headers: Record<string, string>, detail?: string): RelayResponse {
  const { status, message } = ERROR_CODES[code];
  return jsonResponse(status, { error: code, message: detail === undefined ? message : `${message} ${detail}` }, headers);
}
