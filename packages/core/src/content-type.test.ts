import { describe, expect, it } from 'vitest';
import { isJsonContentType } from './content-type.js';

describe('isJsonContentType', () => {
  it.each([
    ['application/json', true],
    ['APPLICATION/JSON', true],
    ['Application/Json', true],
    ['application/json; charset=utf-8', true],
    ['application/json;charset=UTF-8', true],
    ['  application/json  ; charset=utf-8', true],
    ['application/json;', true],
    [undefined, false],
    ['', false],
    ['text/plain', false],
    ['text/json', false],
    ['application/json5', false],
    ['application/jsonp', false],
    ['application/ld+json', false],
    ['application/x-www-form-urlencoded', false],
    ['multipart/form-data; boundary=x', false],
    ['application/json, text/plain', false],
    ['application/ json', false],
    ['charset=utf-8; application/json', false],
  ])('%j → %s', (value, expected) => {
    expect(isJsonContentType(value)).toBe(expected);
  });
});
