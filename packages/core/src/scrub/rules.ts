import {
  BUILTINS,
  CUSTOM_SCAN_LIMITS,
  PASSWORD_KEYS,
  isBuiltinName,
  type BuiltinName,
  type ValuePattern,
} from './builtins.js';
import type { ScrubMethod, ScrubOptions, ScrubRule } from './options.js';
import { superQuadratic } from './redos.js';

export const METHODS: readonly ScrubMethod[] = ['remove', 'replace', 'mask', 'hash', 'filter'];
/** The text of the `filter` method, and of `replace` on a custom pattern without its own: Sentry's marker. */
export const FILTERED = '[Filtered]';
/** The HMAC key when `hashKey` is not given. Public, so such hashes only hide values nobody can guess. */
export const DEFAULT_HASH_KEY = 'postern-scrub-v1';

/** A rule that looks inside string values. */
export interface ValueRule {
  readonly name: string;
  readonly patterns: readonly ValuePattern[];
  readonly method: ScrubMethod;
  readonly text: string;
}

/** What happens to the whole value of a sensitive key. */
export interface KeyRule {
  /** Global regexes, for searching long keys window by window (redact.ts `hasMatch`). */
  readonly keys: readonly ValuePattern[];
  readonly method: ScrubMethod;
  readonly text: string;
}

export interface CompiledRules {
  /** Built-ins first, in a fixed order (the most specific shapes first: a URL's credentials before
   *  the address-like `pass@host` inside them), then custom patterns in the order given. */
  readonly values: readonly ValueRule[];
  /** Absent when neither `@password` nor `sensitiveKeys` is configured. */
  readonly keys: KeyRule | undefined;
  /** Matches a safe field's key, whole and case-insensitively; absent when there are none. */
  readonly safe: RegExp | undefined;
  readonly hashKey: string;
}

const BUILTIN_ORDER = Object.keys(BUILTINS) as BuiltinName[];
const BUILTIN_LIST = BUILTIN_ORDER.join(', ');

function isMethod(value: unknown): value is ScrubMethod {
  return typeof value === 'string' && (METHODS as readonly string[]).includes(value);
}

function describe(rule: ScrubRule): string {
  return typeof rule === 'string'
    ? JSON.stringify(rule)
    : `{ pattern: ${JSON.stringify(rule.pattern)} }`;
}

function compilePattern(source: string, flags: string, label: string): RegExp {
  if (flags.includes('y'))
    throw new TypeError(
      `scrub rule ${label}: the flag "y" would stop the search at the first miss; drop it.`,
    );
  let regex: RegExp;
  try {
    // Always global: every occurrence in a value is scrubbed, not just the first.
    regex = new RegExp(source, flags.includes('g') ? flags : `${flags}g`);
  } catch (error) {
    throw new TypeError(
      `scrub rule ${label} is not a valid regular expression (${(error as Error).message}); fix the pattern or its flags.`,
    );
  }
  if (regex.test(''))
    throw new TypeError(
      `scrub rule ${label} matches the empty string, so it would scrub everywhere; make it match at least one character.`,
    );
  refuseSuperQuadratic(regex, label);
  return regex;
}

/**
 * Refuses a pattern whose backtracking can grow exponentially or with the cube of the text: scanning
 * window by window (redact.ts) bounds a quadratic pattern, but not those.
 */
function refuseSuperQuadratic(regex: RegExp, label: string): void {
  const reason = superQuadratic(regex.source, regex.flags);
  if (reason !== undefined) {
    throw new TypeError(
      `${label} can backtrack for minutes on a few KiB of crafted text (${reason}), so one request could block the relay; rewrite it so that each character can be matched only one way, e.g. (?:[a-z]+\\.)+ rather than (?:[a-z]+\\.?)+, f(?:oo|ar) rather than (?:foo|far), \\d+x rather than \\d*\\d*x.`,
    );
  }
}

function customRule(
  rule: ScrubRule,
  source: string,
  flags: string,
  method: unknown,
  text: unknown,
): ValueRule {
  const label = describe(rule);
  if (source === '')
    throw new TypeError(
      `scrub rule ${label}: the pattern is empty; give a regular expression source.`,
    );
  const chosen = method ?? 'replace';
  if (!isMethod(chosen))
    throw new TypeError(
      `scrub rule ${label}: the method ${JSON.stringify(chosen)} is unknown; use one of ${METHODS.join(', ')}.`,
    );
  if (text !== undefined && (typeof text !== 'string' || chosen !== 'replace')) {
    throw new TypeError(
      `scrub rule ${label}: "text" is a string and only goes with the method "replace"; drop it or set method: 'replace'.`,
    );
  }
  return {
    name: label,
    patterns: [{ regex: compilePattern(source, flags, label), limits: CUSTOM_SCAN_LIMITS }],
    method: chosen,
    text: text ?? FILTERED,
  };
}

function builtinRule(rule: string): { name: BuiltinName; method: ScrubMethod } {
  const colon = rule.indexOf(':');
  const name = colon === -1 ? rule : rule.slice(0, colon);
  if (!isBuiltinName(name)) {
    throw new TypeError(
      `scrub rule ${JSON.stringify(rule)} names no built-in rule; use one of ${BUILTIN_LIST}, or { pattern } for a custom pattern.`,
    );
  }
  if (colon === -1) return { name, method: BUILTINS[name].method };
  const method = rule.slice(colon + 1);
  if (!isMethod(method))
    throw new TypeError(
      `scrub rule ${JSON.stringify(rule)}: the method ${JSON.stringify(method)} is unknown; use one of ${METHODS.join(', ')}.`,
    );
  return { name, method };
}

function sensitiveKey(source: string): ValuePattern {
  if (typeof source !== 'string' || source === '')
    throw new TypeError(
      'scrub sensitiveKeys: an entry is empty, which would match every key; remove it.',
    );
  let regex: RegExp;
  try {
    regex = new RegExp(source, 'gi');
  } catch (error) {
    throw new TypeError(
      `scrub sensitiveKeys entry ${JSON.stringify(source)} is not a valid regular expression (${(error as Error).message}); escape it.`,
    );
  }
  refuseSuperQuadratic(regex, `scrub sensitiveKeys entry ${JSON.stringify(source)}`);
  return { regex, limits: CUSTOM_SCAN_LIMITS };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Parses and checks every rule once; anything wrong throws a TypeError naming the rule and the fix. */
export function compileRules(options: ScrubOptions): CompiledRules {
  if (!Array.isArray(options.rules))
    throw new TypeError('scrub.rules must be an array of rules, such as ["@email", "@ip:hash"].');
  const builtins = new Map<BuiltinName, ScrubMethod>();
  const custom: ValueRule[] = [];
  for (const rule of options.rules as readonly ScrubRule[]) {
    if (typeof rule === 'string' && rule.startsWith('@')) {
      const { name, method } = builtinRule(rule);
      if (builtins.has(name))
        throw new TypeError(
          `scrub rule ${JSON.stringify(rule)}: ${name} is listed twice; keep one.`,
        );
      builtins.set(name, method);
    } else if (typeof rule === 'string') {
      custom.push(customRule(rule, rule, '', undefined, undefined));
    } else if (rule !== null && typeof rule === 'object' && typeof rule.pattern === 'string') {
      if (rule.flags !== undefined && typeof rule.flags !== 'string')
        throw new TypeError(`scrub rule ${describe(rule)}: "flags" must be a string such as "i".`);
      custom.push(customRule(rule, rule.pattern, rule.flags ?? '', rule.method, rule.text));
    } else {
      throw new TypeError(
        `scrub rule ${JSON.stringify(rule)} is neither a built-in name nor { pattern }; write "@email" or { pattern: "..." }.`,
      );
    }
  }

  const values: ValueRule[] = [];
  for (const name of BUILTIN_ORDER) {
    const method = builtins.get(name);
    const builtin = BUILTINS[name];
    if (method !== undefined && builtin.patterns.length > 0)
      values.push({ name, patterns: builtin.patterns, method, text: builtin.text });
  }
  values.push(...custom);

  // Keys named in sensitiveKeys are scrubbed even without @password: listing them says so. They take
  // @password's method when it is configured, else its default.
  const extraKeys = (options.sensitiveKeys ?? []).map(sensitiveKey);
  const passwordMethod = builtins.get('@password');
  const keyPatterns =
    passwordMethod === undefined
      ? extraKeys
      : [{ regex: new RegExp(PASSWORD_KEYS.source, 'gi') }, ...extraKeys];
  const keys =
    keyPatterns.length === 0
      ? undefined
      : {
          keys: keyPatterns,
          method: passwordMethod ?? BUILTINS['@password'].method,
          text: BUILTINS['@password'].text,
        };

  const safeFields = options.safeFields ?? [];
  for (const field of safeFields) {
    if (typeof field !== 'string' || field === '')
      throw new TypeError('scrub safeFields: every entry is a non-empty key name.');
  }
  const safe =
    safeFields.length === 0
      ? undefined
      : new RegExp(`^(?:${safeFields.map(escapeRegex).join('|')})$`, 'i');

  if (
    options.hashKey !== undefined &&
    (typeof options.hashKey !== 'string' || options.hashKey === '')
  ) {
    throw new TypeError(
      'scrub.hashKey must be a non-empty string (a secret); leave it out for the default.',
    );
  }
  return { values, keys, safe, hashKey: options.hashKey ?? DEFAULT_HASH_KEY };
}
