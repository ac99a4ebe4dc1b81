/** Deeper than any event a browser SDK sends, far below what serialising it again (upstream, to the spool) could not take. */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether JSON text nests objects and arrays deeper than `max`. JSON.parse takes any depth, but
 * JSON.stringify of the result would overflow the stack on the way upstream (or to the spool); refusing
 * the body here keeps that a 400, not a 500. Strings, most of a telemetry body, are skipped with `indexOf`
 * (native) instead of character by character: that loop was a fifth of the relay's parse cost.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  const length = text.length;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = closingQuote(text, index + 1);
      if (index < 0) return false;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** The index of the quote that ends a string whose content starts at `from`, or -1 if it never ends. */
function closingQuote(text: string, from: number): number {
  let at = text.indexOf('"', from);
  while (at > 0) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    // An even run of backslashes escapes itself, not the quote.
    if (backslashes % 2 === 0) return at;
    at = text.indexOf('"', at + 1);
  }
  return -1;
}
