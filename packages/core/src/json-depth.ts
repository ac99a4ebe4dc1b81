/** Deeper than any event a browser SDK sends, far below what serialising it again (upstream, to the spool) could not take. */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether a JSON body nests objects and arrays deeper than `max`. JSON.parse takes any depth, but
 * JSON.stringify of the result would overflow the stack on the way upstream (or to the spool); refusing
 * the body here keeps that a 400, not a 500. It reads the UTF-8 bytes, not the decoded text: quotes,
 * backslashes and brackets are ASCII, and no byte of a multi-byte character is below 0x80, so the scan
 * sees the same structure; and indexing a byte array stays fast where `String.prototype.charCodeAt` does
 * not (in a process that has loaded a subclass of `String`, as ioredis's RESP3 decoder is, V8's optimised
 * `charCodeAt` ran 5× slower and this check with it).
 */
export function nestsDeeperThan(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  const length = bytes.length;
  for (let index = 0; index < length; index++) {
    const code = bytes[index];
    if (code === QUOTE) {
      // To the quote that ends the string; a backslash takes the byte after it along.
      for (index++; index < length; index++) {
        const inner = bytes[index];
        if (inner === BACKSLASH) index++;
        else if (inner === QUOTE) break;
      }
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) depth--;
  }
  return false;
}
