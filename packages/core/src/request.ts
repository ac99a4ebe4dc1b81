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
}
