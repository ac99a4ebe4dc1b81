import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from './errors.js';

const contract = (file: string): Promise<string> =>
  readFile(fileURLToPath(new URL(`../../../conformance/${file}`, import.meta.url)), 'utf8');

// One list of request-level error codes, said three times: this catalogue, the SPEC's table and the
// error-response schema other languages validate against. They must not drift apart.
describe('ERROR_CODES', () => {
  it('matches SPEC.md section 15 and error-response.schema.json, code for code and status for status', async () => {
    const table = [...(await contract('SPEC.md')).matchAll(/^\| (\d{3}) \| `([a-z_]+)` \|/gm)].map(
      (match) => [match[2], Number(match[1])] as const,
    );
    const schema = JSON.parse(await contract('schemas/error-response.schema.json')) as {
      properties: { error: { enum: string[] } };
    };
    const engine = Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status] as const);
    // not_found is the adapters' answer off the route, not a relay refusal, so the SPEC's table leaves it out.
    expect(Object.fromEntries(table)).toEqual(
      Object.fromEntries(engine.filter(([code]) => code !== 'not_found')),
    );
    expect([...schema.properties.error.enum].sort()).toEqual(engine.map(([code]) => code).sort());
  });
});
