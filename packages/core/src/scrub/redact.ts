import { SCAN_LIMITS, type ValuePattern } from './builtins.js';
import { FILTERED, type ValueRule } from './rules.js';

/**
 * A scrubbed string in the making: plain strings are text still open to later rules, `done` is text a
 * rule wrote (never looked at again, so one rule's output cannot be caught by the next), `hash` is a
 * match waiting for its HMAC, which is asynchronous.
 */
export type Piece = string | { readonly done: string } | { readonly hash: string };

/** `remove` throws the whole value away: the caller sets it to null. */
export const REMOVE = null;

export function maskOf(text: string): string {
  // One `*` per character as people count them (code points), not per UTF-16 unit.
  let count = 0;
  for (const _ of text) count++;
  return '*'.repeat(count);
}

/** The piece a method makes of a matched text (any method but `remove`). */
export function redaction(method: ValueRule['method'], text: string, replaceText: string): Piece {
  switch (method) {
    case 'mask':
      return { done: maskOf(text) };
    case 'hash':
      return { hash: text };
    case 'filter':
      return { done: FILTERED };
    default:
      return { done: replaceText };
  }
}

/**
 * Calls `found(start, end)` for each range of `text` that `pattern` scrubs (the `secret` group of a match
 * if it has one, else the accepted part of the match), in order. Stops when `found` returns true.
 *
 * How much text one regex search may look at: a search tries every start position and a pattern may
 * backtrack, so its cost grows with the text it is given, for the built-ins linearly (redos.test.ts) but for
 * a custom pattern possibly faster. A long string is therefore searched window by window: each search is
 * given at most `behind + window` characters, whatever the string's length, which bounds the cost of one
 * search and makes the cost of a string linear in its length for any pattern that is at most quadratic
 * (custom patterns that may be worse are refused when the rules compile, see redos.ts).
 *
 * Correctness: a window's searches report only matches starting in its first `window - reach` characters
 * (all of them in the last window), and the next window starts where that part ends or after the last
 * match, whichever is later. So a match found whole by one search of the whole string is found the same
 * way here as long as it, with what its lookaheads read, fits in `reach` characters and its lookbehinds
 * read at most `behind`: every built-in does on real data (the longest, a private-key body, runs to its END
 * line; a 4096-bit RSA key is 3.2 KiB). A match that is still running at the end of a window that is not
 * the end of the string could be longer than the search saw: it is scrubbed from its start to the end of the
 * string, the safe side for a scrubber, so a private key longer than `reach` loses its tail too rather
 * than leaking it. Strings no longer than `window` are searched in one piece, exactly as before. The
 * limits (`ScanLimits`) are in builtins.ts, beside the patterns they apply to.
 */
export function forEachMatch(
  text: string,
  pattern: ValuePattern,
  found: (start: number, end: number) => unknown,
): void {
  const { regex, accept, limits = SCAN_LIMITS } = pattern;
  const length = text.length;
  const step = limits.window - limits.reach;
  let windowStart = 0;
  let cursor = 0;
  for (;;) {
    const from = Math.max(0, windowStart - limits.behind);
    const limit = Math.min(length, windowStart + limits.window);
    const last = limit === length;
    // Only matches starting before `trusted` are certain to have fitted in this window.
    const trusted = last ? length : windowStart + step;
    const slice = from === 0 && last ? text : text.slice(from, limit);
    regex.lastIndex = cursor - from;
    for (let match = regex.exec(slice); match !== null; match = regex.exec(slice)) {
      const start = from + match.index;
      if (start >= trusted) break;
      let end = start + match[0].length;
      if (end === start) {
        // A custom pattern may still match empty between characters; step over it rather than loop.
        regex.lastIndex = match.index + 1;
        cursor = from + regex.lastIndex;
        continue;
      }
      const secret = match.indices?.groups?.secret;
      if (!last && end === limit) {
        // Still running at the window's edge: it may go on past it, so everything from here is scrubbed.
        found(secret === undefined ? start : from + secret[0], length);
        return;
      }
      if (accept !== undefined) {
        const accepted = accept(match[0]);
        cursor = from + regex.lastIndex;
        if (accepted === 0) continue;
        end = start + accepted;
        regex.lastIndex = end - from;
      }
      cursor = from + regex.lastIndex;
      if (
        (secret === undefined ? found(start, end) : found(from + secret[0], from + secret[1])) ===
        true
      )
        return;
    }
    if (last) return;
    windowStart = Math.max(trusted, cursor);
    cursor = windowStart;
  }
}

/** The accepted matches of one pattern in `text` as pieces; undefined when there are none. */
function scanText(
  text: string,
  pattern: ValuePattern,
  rule: ValueRule,
): Piece[] | undefined | typeof REMOVE {
  let pieces: Piece[] | undefined;
  let last = 0;
  let removed = false;
  forEachMatch(text, pattern, (start, end) => {
    if (rule.method === 'remove') {
      removed = true;
      return true;
    }
    pieces ??= [];
    if (start > last) pieces.push(text.slice(last, start));
    pieces.push(redaction(rule.method, text.slice(start, end), rule.text));
    last = end;
    return false;
  });
  if (removed) return REMOVE;
  if (pieces !== undefined && last < text.length) pieces.push(text.slice(last));
  return pieces;
}

/** Whether a pattern (global) matches anywhere in `text`, empty matches included, searched window by window. */
export function hasMatch({ regex, limits = SCAN_LIMITS }: ValuePattern, text: string): boolean {
  const step = limits.window - limits.reach;
  for (let windowStart = 0; ; windowStart += step) {
    const from = Math.max(0, windowStart - limits.behind);
    const limit = Math.min(text.length, windowStart + limits.window);
    const last = limit === text.length;
    regex.lastIndex = windowStart - from;
    const match = regex.exec(from === 0 && last ? text : text.slice(from, limit));
    // A match starting past the trusted part is found again, whole, by the next window.
    if (match !== null && (last || from + match.index < windowStart + step)) return true;
    if (last) return false;
  }
}

/**
 * Runs every value rule over a string. Undefined: nothing matched (and nothing was allocated); null: a
 * `remove` rule matched; otherwise the pieces of the new value.
 */
export function scrubText(
  value: string,
  rules: readonly ValueRule[],
): Piece[] | undefined | typeof REMOVE {
  let pieces: Piece[] | undefined;
  for (const rule of rules) {
    for (const pattern of rule.patterns) {
      if (pieces === undefined) {
        const found = scanText(value, pattern, rule);
        if (found === REMOVE) return REMOVE;
        pieces = found;
        continue;
      }
      // Later rules only see the text earlier ones left open; copy the list only when one changes it.
      let next: Piece[] | undefined;
      for (let i = 0; i < pieces.length; i++) {
        const piece = pieces[i] as Piece;
        const found = typeof piece === 'string' ? scanText(piece, pattern, rule) : undefined;
        if (found === REMOVE) return REMOVE;
        if (found !== undefined) {
          next ??= pieces.slice(0, i);
          next.push(...found);
        } else if (next !== undefined) {
          next.push(piece);
        }
      }
      if (next !== undefined) pieces = next;
    }
  }
  return pieces;
}

export function needsHash(pieces: readonly Piece[]): boolean {
  return pieces.some((piece) => typeof piece === 'object' && 'hash' in piece);
}

/** Joins pieces; `hashes` holds the HMAC of every `hash` piece (already computed). */
export function joinPieces(pieces: readonly Piece[], hashes?: ReadonlyMap<string, string>): string {
  let out = '';
  for (const piece of pieces) {
    if (typeof piece === 'string') out += piece;
    else if ('done' in piece) out += piece.done;
    else out += hashes?.get(piece.hash) ?? '';
  }
  return out;
}
