import type { ErrorCode, EventErrorCode } from './errors.js';

/**
 * A Node.js `Readable` as far as core uses it: read through `data` events, which cost a fraction of the
 * async iterator's promise per chunk on the forward path.
 */
export interface EventBody {
  on(event: 'data', listener: (chunk: Uint8Array | string) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  pause(): unknown;
  readonly readableEnded?: boolean;
  readonly destroyed?: boolean;
}

/** The body of a request as the framework holds it; core reads it once, as bytes, under a cap. */
export type RelayBody =
  | EventBody
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
  /**
   * The request target's path (a query may follow), as the adapter routed it, e.g. `/16ym0ib`. The tunnel
   * uses it to keep a managed path to its own DSN; without it, every configured DSN is served.
   */
  path?: string;
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
  /**
   * Tunnel: envelope items removed before forwarding, by reason: `item_type` (`dropItems`, `allowItems`),
   * `error_message` and `release` (`eventFilters`; an event's attachments count with it).
   */
  dropped?: Partial<Record<DropReason, number>>;
}

/** Why the tunnel removed an envelope item. */
export type DropReason = 'item_type' | 'error_message' | 'release';
