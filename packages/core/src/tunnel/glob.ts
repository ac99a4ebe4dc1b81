/**
 * Glob patterns as Sentry's inbound filters take them for error messages and releases: `*` stands for any
 * run of characters (none included), everything else is itself, and case does not matter. Relay builds
 * its patterns case-insensitively too and never matches an empty string.
 *
 * No regular expression is built from a pattern: `*a*a*a*b` against a long run of `a` is the classic way
 * to make a backtracking matcher take quadratic or exponential time, and the patterns come from
 * configuration while the strings come from any browser. A pattern is cut at its stars into literal
 * pieces, compiled once: the first piece must start the string, the last must end it, and each piece
 * between is found, leftmost, after the one before it. Taking the leftmost occurrence of each piece never
 * loses a match (a later one only leaves less room for what follows), so there is no backtracking; each
 * search is Knuth-Morris-Pratt, which never looks at a character of the string twice. Matching is linear
 * in the length of the string plus that of the pattern.
 */

/** One literal piece between stars, with its KMP failure table. */
interface Piece {
  readonly text: string;
  readonly fail: Int32Array;
}

export interface Glob {
  /** The pattern as configured. */
  readonly pattern: string;
  /** Whether `subject`, already lowercased (see `foldCase`), matches. */
  matchesFolded(subject: string, work?: GlobWork): boolean;
  /** Whether `subject` matches, in any case. */
  matches(subject: string): boolean;
}

/** Counts the characters a match looked at, for tests that prove matching linear. */
export interface GlobWork {
  steps: number;
}

/** Case folding for matching: the same for patterns and strings, done once per string however many patterns test it. */
export function foldCase(text: string): string {
  return text.toLowerCase();
}

function failureTable(text: string): Int32Array {
  const fail = new Int32Array(text.length);
  let k = 0;
  for (let index = 1; index < text.length; index++) {
    while (k > 0 && text.charCodeAt(index) !== text.charCodeAt(k)) k = fail[k - 1] as number;
    if (text.charCodeAt(index) === text.charCodeAt(k)) k++;
    fail[index] = k;
  }
  return fail;
}

/** The index just past the leftmost occurrence of `piece` in `subject[from, to)`, or -1. */
function findAfter(
  piece: Piece,
  subject: string,
  from: number,
  to: number,
  work: GlobWork | undefined,
): number {
  const { text, fail } = piece;
  let k = 0;
  for (let index = from; index < to; index++) {
    if (work) work.steps++;
    const code = subject.charCodeAt(index);
    while (k > 0 && code !== text.charCodeAt(k)) {
      k = fail[k - 1] as number;
      if (work) work.steps++;
    }
    if (code === text.charCodeAt(k)) k++;
    if (k === text.length) return index + 1;
  }
  return -1;
}

function startsAt(subject: string, text: string, at: number, work: GlobWork | undefined): boolean {
  if (work) work.steps += text.length;
  return subject.startsWith(text, at);
}

/**
 * Compiles one pattern. An empty pattern is refused: it could only match an empty string, which is never
 * matched, so it is a mistake in the configuration (`where` names it).
 */
export function compileGlob(pattern: unknown, where: string): Glob {
  if (typeof pattern !== 'string' || pattern.length === 0) {
    throw new TypeError(
      `${where}: must be a non-empty glob pattern such as "*ResizeObserver loop*" (* stands for any characters), got ${JSON.stringify(pattern)}.`,
    );
  }
  const parts = foldCase(pattern).split('*');
  const exact = parts.length === 1;
  const head = parts[0] as string;
  const tail = parts[parts.length - 1] as string;
  const middle: Piece[] = parts
    .slice(1, -1)
    .filter((text) => text.length > 0)
    .map((text) => ({ text, fail: failureTable(text) }));

  function matchesFolded(subject: string, work?: GlobWork): boolean {
    if (subject.length === 0) return false;
    if (exact) {
      if (work) work.steps += subject.length;
      return subject === head;
    }
    if (subject.length < head.length + tail.length) return false;
    if (!startsAt(subject, head, 0, work)) return false;
    const tailStart = subject.length - tail.length;
    if (!startsAt(subject, tail, tailStart, work)) return false;
    let at = head.length;
    for (const piece of middle) {
      at = findAfter(piece, subject, at, tailStart, work);
      if (at === -1) return false;
    }
    return true;
  }

  return {
    pattern,
    matchesFolded,
    matches: (subject) => matchesFolded(foldCase(subject)),
  };
}

/** Several patterns: whether any matches. The string is folded once. */
export interface GlobList {
  readonly patterns: readonly Glob[];
  matchesAny(subject: string): boolean;
}

export function compileGlobList(patterns: unknown, where: string): GlobList {
  if (!Array.isArray(patterns))
    throw new TypeError(
      `${where}: must be a list of glob patterns, got ${JSON.stringify(patterns)}.`,
    );
  const globs = patterns.map((pattern, index) => compileGlob(pattern, `${where}[${index}]`));
  return {
    patterns: globs,
    matchesAny(subject) {
      if (subject.length === 0 || globs.length === 0) return false;
      const folded = foldCase(subject);
      return globs.some((glob) => glob.matchesFolded(folded));
    },
  };
}
