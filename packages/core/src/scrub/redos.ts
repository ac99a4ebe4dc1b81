// A check of custom patterns (and sensitiveKeys) for backtracking worse than quadratic, run when the rules
// compile.
//
// Scanning window by window (redact.ts) bounds the text one search sees, which keeps a quadratic pattern
// linear in the length of a string. It cannot help with a pattern whose backtracking grows
// exponentially: `(a+)+$` takes seconds on 30 characters. Such patterns have a loop whose body can match
// the same text in more than one way, which is what this check looks for, conservatively:
//
// - a repeated group (`*`, `+`, `{n,m}` with m > 1) holding a quantifier whose count varies (`*`, `+`, `?`,
//   `{n,m}`), unless that quantifier repeats one character class and the next thing the loop must match is
//   a character outside it, as in `(?:[a-z]+\.)+` or `(?:\.[\w-]+)+` (the run cannot be split two ways);
// - a repeated group holding an alternation whose branches can start with the same character, or can
//   match nothing, as in `(?:a|ab)+` or `(\w|\d)*`.
//
// The window also cannot help enough with a search that costs the cube of the text (or more): `\d*\d*x` on a
// run of digits takes billions of steps on 2 KiB. That needs two unbounded runs in a row that can take the
// same characters, and the same for all that comes between them, with something after them that can fail:
//
// - `\d*\d*x`, `.*foo.*bar`, `\w+\d+x` are refused; `\w+\s+\w+x` (the space between is neither's) and
//   `.*foo.*` (nothing after can fail) are not.
//
// What is left costs at most the square of the text a search is given, which the window keeps small.
// The check refuses some safe patterns (`(?:foo|far)+`: write `f(?:oo|ar)`) and proves nothing linear; the
// built-ins are checked by a full ReDoS checker in the tests instead (redos.test.ts). A pattern it cannot
// read (a syntax it does not know) is let through.

type Node =
  | { readonly kind: 'char'; readonly source: string }
  | {
      readonly kind: 'group';
      readonly lookaround: boolean;
      readonly alternatives: readonly Node[][];
    }
  | { readonly kind: 'quantifier'; readonly min: number; readonly max: number; readonly body: Node }
  /** Anchors, word boundaries and backreferences: zero-width or unknown text, never a loop of their own. */
  | { readonly kind: 'other' };

class Unreadable extends Error {}

/** Parses a pattern source the RegExp constructor already accepted. */
function parse(source: string, unicodeSets: boolean): Node[][] {
  let at = 0;

  function alternatives(): Node[][] {
    const list: Node[][] = [[]];
    while (at < source.length && source[at] !== ')') {
      if (source[at] === '|') {
        at++;
        list.push([]);
        continue;
      }
      const atom = term();
      const quantified = quantifier(atom);
      (list[list.length - 1] as Node[]).push(quantified);
    }
    return list;
  }

  function quantifier(atom: Node): Node {
    const char = source[at];
    let min: number;
    let max: number;
    if (char === '*') [min, max] = [0, Infinity];
    else if (char === '+') [min, max] = [1, Infinity];
    else if (char === '?') [min, max] = [0, 1];
    else if (char === '{') {
      const braces = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(at));
      if (braces === null) return atom;
      min = Number(braces[1]);
      max = braces[2] === undefined ? min : braces[3] === '' ? Infinity : Number(braces[3]);
      at += braces[0].length - 1;
    } else {
      return atom;
    }
    at++;
    if (source[at] === '?') at++;
    return { kind: 'quantifier', min, max, body: atom };
  }

  function term(): Node {
    const char = source[at] as string;
    if (char === '(') {
      at++;
      let lookaround = false;
      if (source[at] === '?') {
        const head = /^\?(?:<?[=!]|<[^>]+>|[a-z]*(?:-[a-z]*)?:)/i.exec(source.slice(at));
        if (head === null) throw new Unreadable();
        lookaround = /[=!]$/.test(head[0]);
        at += head[0].length;
      }
      const inner = alternatives();
      if (source[at] !== ')') throw new Unreadable();
      at++;
      return { kind: 'group', lookaround, alternatives: inner };
    }
    if (char === '[') return { kind: 'char', source: characterClass() };
    if (char === '\\') {
      const assertion = /^\\(?:[bB]|[1-9]\d*|k<[^>]+>)/.exec(source.slice(at));
      if (assertion !== null) {
        at += assertion[0].length;
        return { kind: 'other' };
      }
      const atom =
        /^\\(?:[pP]\{[^}]*\}|u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|c[a-zA-Z]|[\s\S])/.exec(
          source.slice(at),
        );
      if (atom === null) throw new Unreadable();
      at += atom[0].length;
      return { kind: 'char', source: atom[0] };
    }
    at++;
    if (char === '^' || char === '$') return { kind: 'other' };
    // A lone surrogate pair counts as one character under the u and v flags, as two otherwise; either way
    // it is text of a fixed length, which is all the check needs.
    return {
      kind: 'char',
      source: char === '.' ? '.' : char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
    };
  }

  function characterClass(): string {
    const start = at;
    let depth = 0;
    while (at < source.length) {
      const char = source[at];
      if (char === '\\') at += 2;
      else if (char === '[' && (depth === 0 || unicodeSets)) {
        depth++;
        at++;
      } else if (char === ']') {
        at++;
        if (--depth === 0) return source.slice(start, at);
      } else at++;
    }
    throw new Unreadable();
  }

  const result = alternatives();
  if (at !== source.length) throw new Unreadable();
  return result;
}

// Characters to test sets on: ASCII, and a few from elsewhere (Latin, Greek, Cyrillic, Han, spaces,
// separators, a lone surrogate) so that negated classes and \p{...} are seen to overlap there too.
const SAMPLE = [
  ...Array.from({ length: 128 }, (_, code) => String.fromCharCode(code)),
  '\u00a0',
  '\u00e9',
  '\u00df',
  '\u03a9',
  '\u044f',
  '\u4e2d',
  '\u2028',
  '\ufeff',
  '\ud83d',
];

/** The sample characters a one-character atom matches, as a bit string; all of them if it cannot tell. */
function charSet(source: string, flags: string): boolean[] {
  let test: RegExp;
  try {
    test = new RegExp(`^(?:${source})$`, flags.replace(/[gydm]/g, ''));
  } catch {
    return SAMPLE.map(() => true);
  }
  return SAMPLE.map((char) => test.test(char));
}

function overlaps(a: readonly boolean[], b: readonly boolean[]): boolean {
  return a.some((has, index) => has && b[index]);
}

/** Sequences are read through plain groups of one alternative: `(?:(\w+)\.)` is `\w+ \.`. */
function flatten(sequence: readonly Node[]): Node[] {
  return sequence.flatMap((node) =>
    node.kind === 'group' && !node.lookaround && node.alternatives.length === 1
      ? flatten(node.alternatives[0] as Node[])
      : [node],
  );
}

const NONE: readonly boolean[] = SAMPLE.map(() => false);
/** A run allowed more than this many repetitions counts as unbounded. */
const LONG = 100;
const ALL: readonly boolean[] = SAMPLE.map(() => true);

function union(a: readonly boolean[], b: readonly boolean[]): boolean[] {
  return a.map((has, index) => has || (b[index] as boolean));
}

class Checker {
  private readonly sets = new Map<string, readonly boolean[]>();

  constructor(private readonly flags: string) {}

  private set(source: string): readonly boolean[] {
    let set = this.sets.get(source);
    if (set === undefined) {
      set = charSet(source, this.flags);
      this.sets.set(source, set);
    }
    return set;
  }

  /** Whether `node` can match the empty string (lookarounds and anchors do; backreferences may). */
  private nullable(node: Node): boolean {
    switch (node.kind) {
      case 'char':
        return false;
      case 'quantifier':
        return node.min === 0 || this.nullable(node.body);
      case 'group':
        return (
          node.lookaround ||
          node.alternatives.some((sequence) => sequence.every((item) => this.nullable(item)))
        );
      default:
        return true;
    }
  }

  /** The characters a non-empty match of `node` can start with (any, for a backreference). */
  private first(node: Node): readonly boolean[] {
    switch (node.kind) {
      case 'char':
        return this.set(node.source);
      case 'quantifier':
        return this.first(node.body);
      case 'group':
        return node.lookaround
          ? NONE
          : node.alternatives.map((sequence) => this.firstOfSequence(sequence)).reduce(union, NONE);
      default:
        return ALL;
    }
  }

  private firstOfSequence(sequence: readonly Node[]): readonly boolean[] {
    let set = NONE;
    for (const node of sequence) {
      set = union(set, this.first(node));
      if (!this.nullable(node)) break;
    }
    return set;
  }

  /**
   * Why a sequence inside a loop body can match one text in two ways; undefined when it cannot, as far as
   * this check sees. `after` is what must come right after the sequence (undefined: not known).
   */
  private ambiguousSequence(
    sequence: readonly Node[],
    after: readonly boolean[] | undefined,
  ): string | undefined {
    const items = flatten(sequence);
    for (let i = 0; i < items.length; i++) {
      const node = items[i] as Node;
      const next = items[i + 1];
      const follow =
        next === undefined ? after : this.nullable(next) ? undefined : this.first(next);
      const reason = this.ambiguousItem(node, follow);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }

  private ambiguousItem(node: Node, follow: readonly boolean[] | undefined): string | undefined {
    if (node.kind === 'quantifier') {
      if (node.min === node.max) return this.ambiguousItem(node.body, undefined);
      // Allowed: a run of one character class that the next thing to match cannot continue.
      if (
        node.body.kind === 'char' &&
        follow !== undefined &&
        !overlaps(this.set(node.body.source), follow)
      )
        return undefined;
      return 'a quantifier whose count varies inside it';
    }
    if (node.kind !== 'group') return undefined;
    return this.ambiguousAlternatives(node.alternatives, node.lookaround ? undefined : follow);
  }

  private ambiguousAlternatives(
    alternatives: readonly (readonly Node[])[],
    after: readonly boolean[] | undefined,
  ): string | undefined {
    if (alternatives.length > 1) {
      const firsts = alternatives.map((sequence) => this.firstOfSequence(sequence));
      for (let i = 0; i < alternatives.length; i++) {
        if ((alternatives[i] as Node[]).every((node) => this.nullable(node)))
          return 'an alternative that can match nothing';
        for (let j = 0; j < i; j++)
          if (overlaps(firsts[i] as boolean[], firsts[j] as boolean[]))
            return 'alternatives that can start with the same character';
      }
    }
    for (const sequence of alternatives) {
      const reason = this.ambiguousSequence(sequence, after);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }

  /** Every character some part of `node` can take (a superset for a backreference: all). */
  private chars(node: Node): readonly boolean[] {
    switch (node.kind) {
      case 'char':
        return this.set(node.source);
      case 'quantifier':
        return this.chars(node.body);
      case 'group':
        return node.lookaround
          ? NONE
          : node.alternatives
              .flat()
              .map((item) => this.chars(item))
              .reduce(union, NONE);
      default:
        return node.kind === 'other' ? NONE : ALL;
    }
  }

  /** Whether `node` holds a run with no upper bound (or one long enough to count as such). */
  private unbounded(node: Node): boolean {
    if (node.kind === 'quantifier') return node.max > LONG || this.unbounded(node.body);
    if (node.kind === 'group')
      return (
        !node.lookaround &&
        node.alternatives.some((sequence) => sequence.some((item) => this.unbounded(item)))
      );
    return false;
  }

  /** Whether matching `node` can fail once reached (anchors, lookarounds and backreferences can). */
  private canFail(node: Node): boolean {
    switch (node.kind) {
      case 'quantifier':
        return node.min > 0 && this.canFail(node.body);
      case 'group':
        return (
          node.lookaround ||
          node.alternatives.every((sequence) => sequence.some((item) => this.canFail(item)))
        );
      default:
        return true;
    }
  }

  /** Two unbounded runs in a row over shared characters, with something after them that can fail. */
  private cubic(sequence: readonly Node[]): string | undefined {
    const items = flatten(sequence);
    for (let i = 0; i < items.length; i++) {
      if (!this.unbounded(items[i] as Node)) continue;
      const first = this.chars(items[i] as Node);
      // What must come between the runs: each of it has to be a character both runs take.
      const between: (readonly boolean[])[] = [];
      for (let j = i + 1; j < items.length; j++) {
        const item = items[j] as Node;
        const chars = this.chars(item);
        if (this.unbounded(item)) {
          const both = first.map((has, index) => has && (chars[index] as boolean));
          if (
            both.some(Boolean) &&
            between.every((set) => overlaps(set, both)) &&
            items.slice(j + 1).some((after) => this.canFail(after))
          ) {
            return 'two unbounded quantifiers in a row that can take the same characters, with something after them that can fail';
          }
        }
        if (!this.nullable(item)) {
          if (!overlaps(chars, first)) break;
          between.push(chars);
        }
      }
    }
    return undefined;
  }

  /** The first loop or run found that can backtrack beyond the square of the text, described; undefined when none is. */
  check(alternatives: readonly (readonly Node[])[]): string | undefined {
    for (const sequence of alternatives) {
      const reason = this.cubic(sequence);
      if (reason !== undefined) return reason;
      for (const node of sequence) {
        const inner = this.visit(node);
        if (inner !== undefined) return inner;
      }
    }
    return undefined;
  }

  private visit(node: Node): string | undefined {
    if (node.kind === 'quantifier') {
      if (node.max > 1) {
        // The next round of the loop is what follows its body, when the body cannot match nothing.
        const body =
          node.body.kind === 'group' && !node.body.lookaround
            ? node.body.alternatives
            : [[node.body]];
        const next = this.nullable(node.body) ? undefined : this.first(node.body);
        const reason = this.ambiguousAlternatives(body, next);
        if (reason !== undefined) return `a repeated group with ${reason}`;
      }
      return this.visit(node.body);
    }
    if (node.kind === 'group') return this.check(node.alternatives);
    return undefined;
  }
}

/**
 * Why a pattern (already compiled with `flags`) can backtrack exponentially or in more than the square of
 * the text, or undefined when this check finds no such shape or cannot read the pattern.
 */
export function superQuadratic(source: string, flags: string): string | undefined {
  let tree: Node[][];
  try {
    tree = parse(source, flags.includes('v'));
  } catch (error) {
    if (error instanceof Unreadable) return undefined;
    throw error;
  }
  return new Checker(flags).check(tree);
}
