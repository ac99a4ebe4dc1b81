import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRelay, type RelayRequest } from '../src/index.js';

/**
 * Property-based abuse of the whole pipeline, in process: random methods, origins, headers and bodies
 * (nested JSON, `__proto__` / `constructor` keys, invalid UTF-8, large arrays). `npm test` runs a short
 * pass; `npm run fuzz` runs FUZZ_RUNS (100 000) cases.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
const TOKEN = 'srv-token-fuzz-Zq81';
const SECRET = 'client-secret-Xk42';
const DOCUMENTED = new Set([202, 204, 400, 403, 405, 413, 415, 429]);
const TYPES = ['frontend_exception', 'error_suppressed', 'frontend_breadcrumb', 'request_event', 'probe_event', 'backend_exception', 'log_event'];

const hostileKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'project_token', 'organization_id', 'toString', 'correlation', 'type');
const hostileObject = fc.dictionary(fc.oneof(hostileKey, fc.string({ maxLength: 8 })), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 });
const event = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...TYPES), fc.string({ maxLength: 12 })),
    event_id: fc.oneof(fc.string({ maxLength: 20 }), fc.integer()),
    timestamp: fc.oneof(fc.constant('2026-11-23T10:00:00Z'), fc.string({ maxLength: 30 })),
    exception: fc.oneof(fc.record({ message: fc.string(), type: fc.string() }), hostileObject),
    breadcrumb: fc.oneof(fc.record({ category: fc.string({ minLength: 1, maxLength: 10 }), data: hostileObject }), hostileObject),
    request: fc.record({ method: fc.constantFrom('GET', 'POST'), url: fc.webUrl(), status_code: fc.oneof(fc.integer({ min: -5, max: 1200 }), fc.constant(null)) }),
    probe: fc.record({ name: fc.string({ maxLength: 10 }), status: fc.constantFrom('ok', 'failed', 'weird') }),
    correlation: fc.oneof(hostileObject, fc.record({ trace_id: fc.oneof(fc.string(), fc.constant(null), fc.integer()) })),
    project_token: fc.constant(SECRET),
    extra: hostileObject,
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.record({ batch: fc.array(fc.oneof(event, fc.jsonValue({ maxDepth: 2 })), { maxLength: 40 }) }).map((value) => JSON.stringify(value)),
  fc.record({ batch: fc.array(event, { minLength: 200, maxLength: 400 }) }).map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? ''),
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ maxLength: 200 }).map((text) => `{"batch":[${text}`),
);
const request = fc.record({
  method: fc.constantFrom('POST', 'POST', 'POST', 'OPTIONS', 'GET', 'PUT', 'DELETE', 'HEAD', 'post', 'PATCH'),
  origin: fc.option(fc.oneof(fc.constantFrom('https://app.example', 'HTTPS://APP.EXAMPLE:443', 'null', 'https://app.example.', 'http://app.example'), fc.webUrl(), fc.string({ maxLength: 20 })), { nil: undefined }),
  referer: fc.option(fc.oneof(fc.constant('https://user:pass@app.example/x'), fc.webUrl()), { nil: undefined }),
  contentType: fc.option(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/jsonp', 'APPLICATION/JSON'), { nil: undefined }),
  forwardedFor: fc.option(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 30 })), { nil: undefined }),
  clientAddress: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant('::ffff:127.0.0.1'), fc.constant(undefined)),
  body,
  chunked: fc.boolean(),
});

describe('the pipeline under random and hostile input', () => {
  it(`never throws, answers only documented statuses, and never lets a credential through (${RUNS} cases)`, async () => {
    const upstream: string[] = [];
    const relay = createRelay({
      projectToken: TOKEN,
      allowedOrigins: ['https://app.example'],
      rateLimit: { limit: 1_000_000, windowMs: 60_000 },
      maxBodyBytes: 64 * 1024,
      fetch: async (_url, init) => {
        upstream.push(JSON.stringify(init?.headers ?? {}) + String(init?.body ?? ''));
        return new Response(null, { status: 202 });
      },
    });
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        upstream.length = 0;
        const headers: Record<string, string | undefined> = {
          origin: input.origin,
          referer: input.referer,
          'content-type': input.contentType,
          'x-forwarded-for': input.forwardedFor,
          authorization: `Bearer ${SECRET}`,
          cookie: `session=${SECRET}`,
          'x-api-key': SECRET,
        };
        const bytes = typeof input.body === 'string' ? new TextEncoder().encode(input.body) : input.body;
        const relayRequest: RelayRequest = {
          method: input.method,
          header: (name) => headers[name],
          clientAddress: input.clientAddress,
          body: input.chunked
            ? (async function* () {
                for (let offset = 0; offset < bytes.length; offset += 97) yield bytes.subarray(offset, offset + 97);
              })()
            : bytes,
        };
        const response = await relay.handle(relayRequest);
        expect(DOCUMENTED.has(response.status), `status ${response.status}: ${response.body}`).toBe(true);
        expect(response.body ?? '').not.toContain(TOKEN);
        expect(response.body ?? '').not.toContain(SECRET);
        for (const sent of upstream) expect(sent).not.toContain(SECRET);
        if (response.status !== 204) expect(() => JSON.parse(response.body ?? '')).not.toThrow();
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty('extra');
      }),
      { numRuns: RUNS },
    );
  }, 600_000);
});
