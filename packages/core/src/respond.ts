import { ERROR_CODES, type ErrorCode } from './errors.js';
import type { RelayLogger } from './options.js';
import type { RelayRequest, RelayResponse } from './request.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string>,
): RelayResponse {
  headers['content-type'] = JSON_TYPE;
  headers['cache-control'] = 'no-store';
  return { status, headers, body: JSON.stringify(body) };
}

/** A request-level refusal: the status and the stable code from the catalogue, and a sentence for people. */
export function errorResponse(
  code: ErrorCode,
  headers: Record<string, string>,
  detail?: string,
): RelayResponse {
  const { status, message } = ERROR_CODES[code];
  headers['content-type'] = JSON_TYPE;
  headers['cache-control'] = 'no-store';
  return { status, headers, body: errorBody(code, message, detail), summary: { code } };
}

/** Bodies of refusals without a detail, serialised once each: refusals are the cheap path. */
const PLAIN_ERROR_BODIES = new Map<ErrorCode, string>();

function errorBody(code: ErrorCode, message: string, detail: string | undefined): string {
  if (detail !== undefined) return JSON.stringify({ error: code, message: `${message} ${detail}` });
  let body = PLAIN_ERROR_BODIES.get(code);
  if (body === undefined) {
    body = JSON.stringify({ error: code, message });
    PLAIN_ERROR_BODIES.set(code, body);
  }
  return body;
}

/**
 * An engine's answer as adapters see it (`Engine.answer`): it never throws and never rejects. A failure
 * inside becomes the contract's 500 `internal_error` and one log line naming the engine (`relay`,
 * `tunnel`); never the request's contents. An answer known at once (a refusal by the gate) stays
 * synchronous.
 */
export function neverThrows(
  answer: (request: RelayRequest) => RelayResponse | Promise<RelayResponse>,
  logger: RelayLogger | undefined,
  engine: string,
): (request: RelayRequest) => RelayResponse | Promise<RelayResponse> {
  const failed = (error: unknown): RelayResponse => {
    logger?.error(`postern: the ${engine} failed on a request`, {
      error: error instanceof Error ? error.message : String(error),
    });
    return errorResponse('internal_error', { vary: 'Origin' });
  };
  return (request) => {
    try {
      const response = answer(request);
      return response instanceof Promise ? response.catch(failed) : response;
    } catch (error) {
      return failed(error);
    }
  };
}
