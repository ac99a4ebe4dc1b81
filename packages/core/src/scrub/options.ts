export type ScrubMethod = 'remove' | 'replace' | 'mask' | 'hash' | 'filter';
/**
 * A built-in rule, optionally with a method: '@email', '@email:mask', '@ip:hash', '@password:remove' ...; or a
 * custom value pattern. A custom pattern (and a sensitiveKeys entry) that can backtrack exponentially, or with
 * the cube of the text, is refused when the rules compile; any other is run over long strings in windows of
 * 1 KiB, so that a quadratic one costs time linear in the string. A match longer than 256 characters that
 * reaches a window's end is scrubbed to the end of the string.
 */
export type ScrubRule =
  | string
  | { pattern: string; flags?: string; method?: ScrubMethod; text?: string };
export interface ScrubOptions {
  rules: readonly ScrubRule[];
  /** Extra sensitive key patterns (case-insensitive substrings or regex sources), treated like @password's keys. */
  sensitiveKeys?: readonly string[];
  /** Keys (case-insensitive, exact) whose values are never scrubbed. */
  safeFields?: readonly string[];
  /** Secret for the `hash` method (HMAC), so hashes cannot be reversed by dictionary; default: a fixed documented salt. */
  hashKey?: string;
}
