/**
 * Where the relay remembers the `event_id`s it delivered, so a browser's retry is not forwarded twice
 * (SPEC R-DELIVER-7). The memory store serves one process; a shared store (`createRedisDedupStore` in
 * `@postern/redis`) holds them across instances and restarts.
 */
export interface DedupStore {
  /** For each id, whether it was remembered within its window. */
  seen(ids: readonly string[]): boolean[] | Promise<boolean[]>;
  /** Remembers ids as delivered for `windowMs`. */
  remember(ids: readonly string[], windowMs: number): void | Promise<void>;
}
