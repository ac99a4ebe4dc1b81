import type { ValuePattern } from './builtins.js';
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

/** The accepted matches of one pattern in `text` as pieces; undefined when there are none. */
function scanText(text: string, pattern: ValuePattern, rule: ValueRule): Piece[] | undefined | typeof REMOVE {
  const regex = pattern.regex;
  regex.lastIndex = 0;
  let pieces: Piece[] | undefined;
  let last = 0;
  let match: RegExpExecArray | null;
  while ((match = regex.exec(text)) !== null) {
    let start = match.index;
    let end = start + match[0].length;
    if (end === start) {
      // A custom pattern may still match empty between characters; step over it rather than loop.
      regex.lastIndex = end + 1;
      continue;
    }
    if (pattern.accept !== undefined) {
      const accepted = pattern.accept(match[0]);
      if (accepted === 0) continue;
      end = start + accepted;
      regex.lastIndex = end;
    }
    const secret = match.indices?.groups?.secret;
    if (secret !== undefined) [start, end] = secret;
    if (rule.method === 'remove') return REMOVE;
    pieces ??= [];
    if (start > last) pieces.push(text.slice(last, start));
    pieces.push(redaction(rule.method, text.slice(start, end), rule.text));
    last = end;
  }
  if (pieces !== undefined && last < text.length) pieces.push(text.slice(last));
  return pieces;
}

/**
 * Runs every value rule over a string. Undefined: nothing matched (and nothing was allocated); null: a
 * `remove` rule matched; otherwise the pieces of the new value.
 */
export function scrubText(value: string, rules: readonly ValueRule[]): Piece[] | undefined | typeof REMOVE {
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
