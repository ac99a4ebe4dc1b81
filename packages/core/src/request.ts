import type { ErrorCode, EventErrorCode } from './errors.js';

/** The body of a request as the framework holds it; core reads it once, as bytes, under a cap. */
export type RelayBody =
  | AsyncIterable<Uint8Array | string>
  | ReadableStream<Uint8Array>
  | Uint8Array
  | string
  | null
  | undefined;

/** What an adapter hands the engine: nothing framework-specific, nothing read eagerly but the method. */
export interface RelayRequest {
  method: string;
  /** A request header by lowercase name; repeated headers joined with ", ". */
  header(name: string): string | undefined;
  /** The address of the peer on the socket, never taken from a header by the adapter. */
  clientAddress: string | undefined;
  body: RelayBody;
}

export interface RelayResponse {
  status: number;
  /** Lowercase header names. */
  headers: Record<string, string>;
  /** A JSON text, or null for an empty body (204). */
  body: string | null;
  /** What the answer says, for logs and metrics without parsing the body; adapters never send it. */
  summary?: ResponseSummary;
}

/** The codes behind an answer: the request-level refusal, or what became of a batch's items. */
export interface ResponseSummary {
  /** The request-level error code of a refusal. */
  code?: ErrorCode;
  /** Items accepted, of which `duplicates` were delivered before (R-DELIVER-7) and `filtered` dropped by a hook. */
  accepted?: number;
  duplicates?: number;
  filtered?: number;
  /** Rejected items by item code. */
  rejected?: Partial<Record<EventErrorCode, number>>;
}
