import type { JsonValue } from './types.js';

/**
 * Subset matching for fixture expectations. Objects match when every expected key matches (extra keys
 * are fine); arrays match element by element and must have the same length. An object whose only key
 * starts with `$` is an operator:
 * - `{"$absent": true}`: the key must not be present.
 * - `{"$regex": "…"}`: a string matching the pattern.
 * - `{"$type": "string" | "number" | "integer" | "boolean" | "null" | "array" | "object"}`.
 * - `{"$tokens": ["POST", "OPTIONS"]}`: a comma-separated header list holding each token (any case, any order).
 * - `{"$contains": "…"}`: a string containing the text.
 * - `{"$gte": n}` / `{"$lte": n}`: a number at least / at most n.
 * - `{"$anyOf": [...]}`: matches any of the expectations listed, `{"$absent": true}` among them.
 */
export function matchValue(
  expected: JsonValue,
  actual: unknown,
  path: string,
  problems: string[],
): void {
  if (isOperator(expected)) {
    matchOperator(expected, actual, path, problems);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual))
      return void problems.push(`${path}: expected an array, got ${describe(actual)}`);
    if (actual.length !== expected.length) {
      problems.push(
        `${path}: expected ${expected.length} item(s), got ${actual.length}: ${describe(actual)}`,
      );
      return;
    }
    for (const [index, item] of expected.entries()) {
      matchValue(item, actual[index], `${path}[${index}]`, problems);
    }
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) {
      return void problems.push(`${path}: expected an object, got ${describe(actual)}`);
    }
    for (const [key, value] of Object.entries(expected as Record<string, JsonValue>)) {
      const present = Object.hasOwn(actual, key);
      if (isOperator(value) && Object.hasOwn(value, '$absent')) {
        if (present)
          problems.push(
            `${path}.${key}: must be absent, got ${describe((actual as Record<string, unknown>)[key])}`,
          );
        continue;
      }
      if (!present && !(isOperator(value) && Object.hasOwn(value, '$anyOf'))) {
        problems.push(`${path}.${key}: missing, expected ${describe(value)}`);
        continue;
      }
      matchValue(value, (actual as Record<string, unknown>)[key], `${path}.${key}`, problems);
    }
    return;
  }
  if (actual !== expected)
    problems.push(`${path}: expected ${describe(expected)}, got ${describe(actual)}`);
}

function isOperator(value: JsonValue): value is Record<string, JsonValue> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] as string).startsWith('$');
}

function matchOperator(
  operator: Record<string, JsonValue>,
  actual: unknown,
  path: string,
  problems: string[],
): void {
  const [name, argument] = Object.entries(operator)[0] as [string, JsonValue];
  switch (name) {
    case '$absent':
      if (actual !== undefined) problems.push(`${path}: must be absent, got ${describe(actual)}`);
      return;
    case '$regex':
      if (typeof actual !== 'string' || !new RegExp(String(argument)).test(actual))
        problems.push(`${path}: expected to match /${String(argument)}/, got ${describe(actual)}`);
      return;
    case '$contains':
      if (typeof actual !== 'string' || !actual.includes(String(argument)))
        problems.push(
          `${path}: expected to contain ${describe(argument)}, got ${describe(actual)}`,
        );
      return;
    case '$type':
      if (typeOf(actual) !== argument && !(argument === 'number' && typeOf(actual) === 'integer'))
        problems.push(
          `${path}: expected a value of type ${String(argument)}, got ${describe(actual)}`,
        );
      return;
    case '$gte':
      if (typeof actual !== 'number' || actual < Number(argument))
        problems.push(`${path}: expected a number ≥ ${String(argument)}, got ${describe(actual)}`);
      return;
    case '$lte':
      if (typeof actual !== 'number' || actual > Number(argument))
        problems.push(`${path}: expected a number ≤ ${String(argument)}, got ${describe(actual)}`);
      return;
    case '$anyOf': {
      const options = Array.isArray(argument) ? argument : [argument];
      const fits = options.some((option) => {
        const scratch: string[] = [];
        matchValue(option, actual, path, scratch);
        return scratch.length === 0;
      });
      if (!fits)
        problems.push(`${path}: expected any of ${describe(options)}, got ${describe(actual)}`);
      return;
    }
    case '$tokens': {
      const tokens =
        typeof actual === 'string'
          ? actual.split(',').map((token) => token.trim().toLowerCase())
          : [];
      const wanted = (Array.isArray(argument) ? argument : [argument]).map((token) =>
        String(token).toLowerCase(),
      );
      const missing = wanted.filter((token) => !tokens.includes(token));
      if (typeof actual !== 'string' || missing.length > 0)
        problems.push(
          `${path}: expected a list holding ${wanted.join(', ')}, got ${describe(actual)}`,
        );
      return;
    }
    default:
      problems.push(`${path}: unknown matcher ${name}`);
  }
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
