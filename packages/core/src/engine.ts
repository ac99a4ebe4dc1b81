import type { RelayRequest, RelayResponse } from './request.js';

/**
 * What every engine is, the browser relay (`createBrowserRelay`) and the Sentry tunnel (`createTunnel`)
 * alike: adapters route requests to it by `matches` and hand them to `handle`.
 */
export interface Engine {
  /** The route this engine answers on, for adapters that route requests themselves: the first of `paths`. */
  readonly path: string;
  /**
   * Every path this engine answers, computed once at construction: the relay's one route; the tunnel's fixed
   * path and, with `managedPaths`, the managed path of each inbound DSN.
   */
  readonly paths: readonly string[];
  /** Whether a request target (a path with an optional query) is one of `paths`; one trailing slash is tolerated. */
  matches(target: string): boolean;
  /** Runs one request through the contract and returns the answer; never rejects. */
  handle(request: RelayRequest): Promise<RelayResponse>;
  /**
   * `handle` without the promise when the answer is known at once (a refusal by the gate, with the memory
   * rate-limit store): what the Node adapters call, so a refusal costs no microtask hop. Never throws.
   */
  answer(request: RelayRequest): RelayResponse | Promise<RelayResponse>;
  /** Stops the redelivery worker and waits for spool writes and forwards in progress; a no-op for direct delivery. */
  close(): Promise<void>;
}
