/** The outcome of counting one request against a client's window. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Requests still allowed in the current window after this one. */
  remaining: number;
  /** Milliseconds until the oldest counted request leaves the window (a slot frees). */
  resetMs: number;
}

/**
 * Where request counts live. The memory store serves one process; a shared store (such as `@postern/redis`)
 * holds the limit across instances. `hit` counts the request only when it is allowed.
 */
export interface RateLimitStore {
  hit(key: string, limit: number, windowMs: number): RateLimitDecision | Promise<RateLimitDecision>;
}
