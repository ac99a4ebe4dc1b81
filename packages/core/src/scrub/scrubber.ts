import { createHmac } from './hmac.js';
import type { ScrubOptions } from './options.js';
import {
  REMOVE,
  hasMatch,
  joinPieces,
  maskOf,
  needsHash,
  scrubText,
  type Piece,
} from './redact.js';
import { FILTERED, compileRules, type CompiledRules, type KeyRule } from './rules.js';

export interface Scrubber {
  /**
   * Scrubs a parsed JSON value in place (objects and arrays at any depth; a bare string or number at the
   * top cannot be changed in place and is left) and says whether anything changed. Async because the
   * `hash` method uses Web Crypto.
   */
  scrub(value: unknown): Promise<boolean>;
}

type Holder = Record<string, unknown> | unknown[];

/** A value whose new text waits for HMACs. */
interface Pending {
  readonly holder: Holder;
  readonly key: string | number;
  readonly original: string;
  readonly pieces: readonly Piece[];
}

function write(holder: Holder, key: string | number, value: unknown): void {
  if (key === '__proto__') {
    // JSON.parse makes "__proto__" an own property. Assigning to an own property stays on the object,
    // but defining it says so outright and cannot reach the prototype setter whatever the holder is.
    Object.defineProperty(holder, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    (holder as Record<string | number, unknown>)[key] = value;
  }
}

/** Sentry writes headers, cookies, query strings and tags as lists of [key, value] pairs. */
function isPairList(array: readonly unknown[]): boolean {
  if (array.length === 0) return false;
  for (const item of array) {
    if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== 'string') return false;
  }
  return true;
}

export function compileScrubber(options: ScrubOptions): Scrubber {
  const rules: CompiledRules = compileRules(options);
  const hmac = createHmac(rules.hashKey);
  const keyRule: KeyRule | undefined = rules.keys;
  const valueRules = rules.values;

  function isSensitive(key: string): boolean {
    if (keyRule === undefined) return false;
    for (const pattern of keyRule.keys) if (hasMatch(pattern, key)) return true;
    return false;
  }

  async function scrub(root: unknown): Promise<boolean> {
    if (root === null || typeof root !== 'object') return false;
    let changed = false;
    const pending: Pending[] = [];

    /** A scalar under a sensitive key: the whole of it goes, whatever its type. */
    function scrubWhole(holder: Holder, key: string | number, value: unknown, rule: KeyRule): void {
      const text = typeof value === 'string' ? value : String(value);
      if (rule.method === 'hash') {
        pending.push({ holder, key, original: text, pieces: [{ hash: text }] });
        return;
      }
      const next =
        rule.method === 'mask' ? maskOf(text) : rule.method === 'replace' ? rule.text : FILTERED;
      if (next !== value) {
        write(holder, key, next);
        changed = true;
      }
    }

    function scrubString(holder: Holder, key: string | number, value: string): void {
      const pieces = scrubText(value, valueRules);
      if (pieces === undefined) return;
      if (pieces === REMOVE) {
        write(holder, key, null);
        changed = true;
        return;
      }
      if (needsHash(pieces)) {
        pending.push({ holder, key, original: value, pieces });
        return;
      }
      const next = joinPieces(pieces);
      if (next !== value) {
        write(holder, key, next);
        changed = true;
      }
    }

    // An explicit stack rather than recursion: a hostile body can nest far deeper than the call stack.
    // Each container is pushed with whether it sits under a sensitive key.
    const stack: Array<Holder | boolean> = [root as Holder, false];

    function visit(holder: Holder, key: string | number, value: unknown, sensitive: boolean): void {
      if (typeof value === 'string') {
        if (sensitive) scrubWhole(holder, key, value, keyRule as KeyRule);
        else scrubString(holder, key, value);
      } else if (value !== null && typeof value === 'object') {
        stack.push(value as Holder, sensitive);
      } else if (sensitive && (typeof value === 'number' || typeof value === 'boolean')) {
        scrubWhole(holder, key, value, keyRule as KeyRule);
      }
    }

    /** A value under a key: safe fields are skipped, sensitive keys take their value whole. */
    function visitKeyed(
      holder: Holder,
      key: string | number,
      name: string,
      value: unknown,
      sensitive: boolean,
    ): void {
      if (rules.safe?.test(name)) return;
      const isKeySensitive = sensitive || isSensitive(name);
      if (isKeySensitive && (keyRule as KeyRule).method === 'remove') {
        if (value !== null) {
          write(holder, key, null);
          changed = true;
        }
        return;
      }
      visit(holder, key, value, isKeySensitive);
    }

    while (stack.length > 0) {
      const sensitive = stack.pop() as boolean;
      const container = stack.pop() as Holder;
      if (Array.isArray(container)) {
        if (!sensitive && isPairList(container)) {
          for (const pair of container as Array<[string, unknown]>)
            visitKeyed(pair, 1, pair[0], pair[1], false);
        } else {
          for (let i = 0; i < container.length; i++) visit(container, i, container[i], sensitive);
        }
      } else {
        // for...in with an own-property check: no key array per object, and never the prototype's keys.
        for (const key in container) {
          if (Object.hasOwn(container, key))
            visitKeyed(container, key, key, container[key], sensitive);
        }
      }
    }

    if (pending.length > 0) {
      const inputs = new Set<string>();
      for (const item of pending)
        for (const piece of item.pieces)
          if (typeof piece === 'object' && 'hash' in piece) inputs.add(piece.hash);
      const hashes = new Map<string, string>();
      await Promise.all([...inputs].map(async (input) => hashes.set(input, await hmac(input))));
      for (const item of pending) {
        const next = joinPieces(item.pieces, hashes);
        if (next !== item.original) {
          write(item.holder, item.key, next);
          changed = true;
        }
      }
    }
    return changed;
  }

  return { scrub };
}
