export type ScrubMethod = 'remove' | 'replace' | 'mask' | 'hash' | 'filter';
/** A built-in rule, optionally with a method: '@email', '@email:mask', '@ip:hash', '@password:remove' ...; or a custom value pattern. */
export type ScrubRule = string | { pattern: string; flags?: string; method?: ScrubMethod; text?: string };
export interface ScrubOptions {
  rules: readonly ScrubRule[];
  /** Extra sensitive key patterns (case-insensitive substrings or regex sources), treated like @password's keys. */
  sensitiveKeys?: readonly string[];
  /** Keys (case-insensitive, exact) whose values are never scrubbed. */
  safeFields?: readonly string[];
  /** Secret for the `hash` method (HMAC), so hashes cannot be reversed by dictionary; default: a fixed documented salt. */
  hashKey?: string;
}
