import { acceptCard, acceptIban, acceptIpv6, acceptUsSsn } from './checks.js';
import type { ScrubMethod } from './options.js';

/** How much text one regex search may look at: long strings are searched window by window (redact.ts). */
export interface ScanLimits {
  /** The most characters one search is given past the lookbehind context. */
  readonly window: number;
  /** The longest match (with its lookahead) found exactly as in one search; less than `window`. */
  readonly reach: number;
  /** Characters before a window that lookbehinds and `\b` may read. */
  readonly behind: number;
}

/** For the built-ins, which are linear (redos.test.ts), so the window only decides what counts as long. */
export const SCAN_LIMITS: ScanLimits = { window: 16_384, reach: 4_096, behind: 256 };

/**
 * For custom patterns and sensitiveKeys, which may be quadratic (worse is refused, redos.ts): a search then
 * costs up to the square of its window, so the window is small. Their matches are ids and tokens; one
 * longer than `reach` at a window's edge is scrubbed to the end of the string (redact.ts).
 */
export const CUSTOM_SCAN_LIMITS: ScanLimits = { window: 1_024, reach: 256, behind: 256 };

/**
 * One way a value rule finds its data. When the regex has a group named `secret`, only that part of the
 * match is scrubbed (the user name of a path, the token after `Bearer `), so what remains still reads.
 */
export interface ValuePattern {
  readonly regex: RegExp;
  /** How many leading characters of the match are real (0: a look-alike); absent: all of them. */
  readonly accept?: (match: string) => number;
  /** How much text one search may look at (redact.ts); absent: SCAN_LIMITS, the built-ins' own. */
  readonly limits?: ScanLimits;
}

export interface BuiltinRule {
  /** What `replace` writes; Sentry Relay's text for the rule where it has one. */
  readonly text: string;
  /** The method a bare `@name` uses. */
  readonly method: ScrubMethod;
  /** Value patterns, applied in this order; `@password` has none: it works on keys. */
  readonly patterns: readonly ValuePattern[];
}

// The regexes are written for JavaScript's engine (lookbehind, named groups, the `d` flag that reports
// group offsets); the intent of each follows Sentry Relay's rule of the same name.
//
// Each runs in time linear in the text (redos.test.ts checks every one with a ReDoS checker): a search
// tries every start position, so a pattern must not scan far from a start that then fails, nor scan the
// same characters again from the next start. Hence: repetitions with a known maximum are bounded, an
// unbounded run starts only where a lookbehind says the run begins (so runs are scanned once each), and
// no two quantifiers next to each other can take the same character.

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;

/** Keys whose values `@password` scrubs whole. `auth` and `authorization`, but not `author` or `authority`. */
export const PASSWORD_KEYS =
  /passw(?:or)?d|pwd|secret|api[-_]?key|auth(?!or(?!i[sz]))|credential|token|session|cookie|private[-_]?key|bearer/i;

export const BUILTINS = {
  '@password': { text: '[password]', method: 'filter', patterns: [] },
  '@pemkey': {
    text: '[pemkey]',
    method: 'replace',
    // The body between the markers; a block cut off before its END line (SDKs truncate long strings)
    // still has its body scrubbed to the end of the value. The body ends on a non-space character before
    // the END line, so the whitespace in front of that line is looked at once, not once per character
    // of the body (`[\s\S]+?` then `\s*-----END` was quadratic in a run of spaces). Kinds are at most
    // four words before PRIVATE KEY (real ones have one or two: RSA, EC, DSA, OPENSSH, ENCRYPTED).
    patterns: [
      {
        regex:
          /-----BEGIN (?<kind>(?:[A-Z0-9]{1,20} ){0,4}PRIVATE KEY)-----\s*(?<secret>[\s\S]*?\S(?=\s*-----END \k<kind>-----)|[\s\S]+)/dg,
      },
    ],
  },
  '@urlauth': {
    text: '[auth]',
    method: 'replace',
    // `user:password@` or `user@` right after `scheme://` or a scheme-relative `//`; user and password end
    // at `/ ? # @` or a space. The scheme is not part of the pattern: it was optional, so it only moved
    // where a match started, never what was scrubbed, and looking for one (`\b[a-z][a-z0-9+.-]*:`) scanned
    // to the end of a run such as `a.b.c.d` from each of its word boundaries, which was quadratic. The
    // search now starts at the literal `//`.
    patterns: [{ regex: /\/\/(?<secret>[^\s/?#@:]+(?::[^\s/?#@]*)?)@/dg }],
  },
  '@bearer': {
    text: '[token]',
    method: 'replace',
    // RFC 6750 token characters, at least 8 with a digit or a symbol among them, so that prose ("the bearer
    // of this letter") is left.
    patterns: [
      { regex: /\bbearer\s+(?<secret>(?=[A-Za-z.]*[0-9\-_~+/])[A-Za-z0-9\-._~+/]{8,}=*)/dgi },
    ],
  },
  '@iban': {
    text: '[iban]',
    method: 'replace',
    // An IBAN has at most 34 characters: the country and check digits, then at most 30, written compact or
    // in groups of four (at most seven whole groups and a last partial one). Candidates are bounded
    // accordingly (44 characters with the spaces), so the mod-97 check of every prefix stays small: an
    // unbounded run of groups made acceptIban quadratic.
    patterns: [
      {
        regex:
          /(?<!\w)[A-Z]{2}\d{2}(?:(?: [A-Z0-9]{4}){1,7}(?: [A-Z0-9]{1,4})?|[A-Z0-9]{11,30})(?!\w)/g,
        accept: acceptIban,
      },
    ],
  },
  '@creditcard': {
    text: '[creditcard]',
    method: 'replace',
    // The first digit is a card network's industry identifier (2 to 6), which keeps millisecond
    // timestamps and most ids out; digits inside a decimal number are not candidates.
    patterns: [{ regex: /(?<![\w.])[2-6]\d(?:[ -]?\d){11,17}(?![\w]|\.\d)/g, accept: acceptCard }],
  },
  '@usssn': {
    text: '[us-ssn]',
    method: 'replace',
    patterns: [{ regex: /(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])/g, accept: acceptUsSsn }],
  },
  '@email': {
    text: '[email]',
    method: 'replace',
    // The local part leaves out `/ ? = &`, which RFC 5322 allows but URLs use as delimiters, so that
    // `?to=ann@example.com` loses the address and not the URL. Not an asset name such as `logo@2x.png`.
    // A domain label is letters and digits with inner hyphens, written as runs so that no two quantifiers
    // compete for a character.
    patterns: [
      {
        regex:
          /(?<![\w.!#$%'*+^`{|}~-])[\w.!#$%'*+^`{|}~-]+@(?:[A-Za-z0-9]+(?:-+[A-Za-z0-9]+)*\.)+(?!(?:png|jpe?g|gif|svg|webp|avif|ico|css|js|mjs|map|woff2?)\b)[A-Za-z]{2,}(?![\w-])/g,
      },
    ],
  },
  '@ip': {
    text: '[ip]',
    method: 'replace',
    patterns: [
      // IPv6 first, so that an IPv4-mapped address goes as one; candidates are checked by a parser, which
      // leaves times (12:30:45), MAC addresses and C++ scopes alone.
      {
        regex: new RegExp(
          `(?<![\\w:.])(?:[0-9a-f]{0,4}:){2,7}(?:${IPV4}|[0-9a-f]{1,4})?(?:%[\\w.-]+)?(?![\\w:]|\\.\\d)`,
          'gi',
        ),
        accept: acceptIpv6,
      },
      // Not part of a longer dotted run (1.2.3.4.5), nor a product version (Chrome/120.0.0.0).
      { regex: new RegExp(`(?<![\\w.]|\\w/)${IPV4}(?![\\w]|\\.\\d)`, 'g') },
    ],
  },
  '@userpath': {
    text: '[user]',
    method: 'replace',
    // The user name in /Users/<name>, /home/<name>, C:\Users\<name>; a Windows name may hold spaces when a
    // separator follows it. Case matters on Unix (/Users on macOS, /home on Linux), so /users/42 in a
    // URL path is not taken for one. A name with spaces is written as runs of spaces each followed by a
    // name character (no line breaks or NUL inside), so that no two quantifiers compete for a character.
    patterns: [
      {
        regex:
          /(?:\b[A-Za-z]:[\\/](?:[Uu][Ss][Ee][Rr][Ss]|Documents and Settings)[\\/]|(?<![\w.~-])(?:\/Users\/|\/home\/|\\Users\\))(?<secret>[^\\/\s"'<>|:*?](?:[^\S\r\n]*[^\\/\s"'<>|:*?\0])*(?:[^\S\r\n]*\0)?(?=[\\/])|[^\\/\s"'<>|:*?]+)/dg,
      },
    ],
  },
} as const satisfies Record<string, BuiltinRule>;

export type BuiltinName = keyof typeof BUILTINS;

export function isBuiltinName(name: string): name is BuiltinName {
  return Object.hasOwn(BUILTINS, name);
}
