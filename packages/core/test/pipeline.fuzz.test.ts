import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACT_DIR, sampleEvent, type BrowserEventType } from '@postern/conformance';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBrowserRelay, type RelayRequest } from '../src/index.js';

/**
 * Property-based abuse of the whole pipeline, in process: random methods, origins, headers and bodies
 * (nested JSON, `__proto__` / `constructor` keys, invalid UTF-8, large arrays). `npm test` runs a short
 * pass; `npm run fuzz` runs FUZZ_RUNS (100 000) cases.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
const TOKEN = 'srv-token-fuzz-Zq81';
const SECRET = 'client-secret-Xk42';
const DOCUMENTED = new Set([202, 204, 400, 403, 405, 413, 415, 429]);
const BROWSER_TYPES: BrowserEventType[] = [
  'frontend_exception',
  'error_suppressed',
  'frontend_breadcrumb',
  'request_event',
  'probe_event',
  'analytics_event',
];

/** What ingestion accepts, checked strictly (no key removal): every event the relay forwards must pass (R-SANITIZE-5). */
function ingestionValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: false });
  const schemas = join(CONTRACT_DIR, 'schemas');
  for (const file of readdirSync(join(schemas, 'events')))
    ajv.addSchema(JSON.parse(readFileSync(join(schemas, 'events', file), 'utf8')));
  return ajv.compile(
    JSON.parse(readFileSync(join(schemas, 'upstream-events.schema.json'), 'utf8')),
  );
}

const hostileKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'project_token',
  'project_id',
  'organization_id',
  'toString',
  'correlation',
  'event_type',
  'type',
  'payload',
  'extra',
);
const hostileObject = fc.dictionary(
  fc.oneof(hostileKey, fc.string({ maxLength: 8 })),
  fc.jsonValue({ maxDepth: 3 }),
  { maxKeys: 6 },
);
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  hostileObject,
  fc.constantFrom(
    null,
    '',
    '2026-02-30T00:00:00Z',
    'log_event',
    'deploy_metadata',
    'backend_exception',
  ),
);

function paths(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return [
    prefix,
    ...Object.keys(value).flatMap((key) =>
      paths((value as Record<string, unknown>)[key], [...prefix, key]),
    ),
  ];
}

/** A real-format event of a random type, then up to four edits at random places: set, delete, or add a key. */
const event = fc
  .record({
    type: fc.constantFrom(...BROWSER_TYPES),
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        op: fc.constantFrom('set', 'delete', 'add'),
        key: fc.oneof(hostileKey, fc.string({ maxLength: 8 })),
        value: hostileValue,
      }),
      { maxLength: 4 },
    ),
    token: fc.boolean(),
  })
  .map(({ type, edits, token }) => {
    const out: Record<string, unknown> = structuredClone(sampleEvent(type));
    if (token) out.project_token = SECRET;
    for (const edit of edits) {
      // Own data properties, as JSON.parse makes them: "__proto__" stays a key, never a prototype.
      const put = (target: Record<string, unknown>, key: string, value: unknown) =>
        Object.defineProperty(target, key, {
          value: structuredClone(value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      const all = paths(out).filter((path) => path.length > 0);
      const path = all[edit.at % all.length] as string[];
      let parent: Record<string, unknown> = out;
      for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
      const last = path[path.length - 1] as string;
      if (edit.op === 'delete') delete parent[last];
      else if (edit.op === 'set') put(parent, last, edit.value);
      else if (typeof parent[last] === 'object' && parent[last] !== null)
        put(parent[last] as Record<string, unknown>, edit.key, edit.value);
    }
    return out;
  });
const body = fc.oneof(
  fc
    .record({ batch: fc.array(fc.oneof(event, fc.jsonValue({ maxDepth: 2 })), { maxLength: 40 }) })
    .map((value) => JSON.stringify(value)),
  fc
    .record({ batch: fc.array(event, { minLength: 200, maxLength: 400 }) })
    .map((value) => JSON.stringify(value)),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? ''),
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ maxLength: 200 }).map((text) => `{"batch":[${text}`),
);
const request = fc.record({
  method: fc.constantFrom(
    'POST',
    'POST',
    'POST',
    'OPTIONS',
    'GET',
    'PUT',
    'DELETE',
    'HEAD',
    'post',
    'PATCH',
  ),
  origin: fc.option(
    fc.oneof(
      fc.constantFrom(
        'https://app.example',
        'HTTPS://APP.EXAMPLE:443',
        'null',
        'https://app.example.',
        'http://app.example',
      ),
      fc.webUrl(),
      fc.string({ maxLength: 20 }),
    ),
    { nil: undefined },
  ),
  referer: fc.option(fc.oneof(fc.constant('https://user:pass@app.example/x'), fc.webUrl()), {
    nil: undefined,
  }),
  contentType: fc.option(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/jsonp',
      'APPLICATION/JSON',
    ),
    { nil: undefined },
  ),
  forwardedFor: fc.option(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string({ maxLength: 30 })), {
    nil: undefined,
  }),
  clientAddress: fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.constant('::ffff:127.0.0.1'),
    fc.constant(undefined),
  ),
  body,
  chunked: fc.boolean(),
});

describe('the pipeline under random and hostile input', () => {
  it(`never throws, answers only documented statuses, forwards only what ingestion accepts, and never lets a credential through (${RUNS} cases)`, async () => {
    const upstream: string[] = [];
    const forwarded: unknown[] = [];
    const ingestion = ingestionValidator();
    const relay = createBrowserRelay({
      projectToken: TOKEN,
      allowedOrigins: ['https://app.example'],
      rateLimit: { limit: 1_000_000, windowMs: 60_000 },
      maxBodyBytes: 64 * 1024,
      fetch: async (_url, init) => {
        upstream.push(JSON.stringify(init?.headers ?? {}) + String(init?.body ?? ''));
        forwarded.push(JSON.parse(String(init?.body)));
        return new Response(null, { status: 202 });
      },
    });
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        upstream.length = 0;
        forwarded.length = 0;
        const headers: Record<string, string | undefined> = {
          origin: input.origin,
          referer: input.referer,
          'content-type': input.contentType,
          'x-forwarded-for': input.forwardedFor,
          authorization: `Bearer ${SECRET}`,
          cookie: `session=${SECRET}`,
          'x-api-key': SECRET,
        };
        const bytes =
          typeof input.body === 'string' ? new TextEncoder().encode(input.body) : input.body;
        const relayRequest: RelayRequest = {
          method: input.method,
          header: (name) => headers[name],
          clientAddress: input.clientAddress,
          body: input.chunked
            ? (async function* () {
                for (let offset = 0; offset < bytes.length; offset += 97)
                  yield bytes.subarray(offset, offset + 97);
              })()
            : bytes,
        };
        const response = await relay.handle(relayRequest);
        expect(DOCUMENTED.has(response.status), `status ${response.status}: ${response.body}`).toBe(
          true,
        );
        expect(response.body ?? '').not.toContain(TOKEN);
        expect(response.body ?? '').not.toContain(SECRET);
        for (const sent of upstream) expect(sent).not.toContain(SECRET);
        for (const body of forwarded)
          expect(ingestion(body), JSON.stringify(ingestion.errors?.[0])).toBe(true);
        if (response.status !== 204) expect(() => JSON.parse(response.body ?? '')).not.toThrow();
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty('extra');
      }),
      { numRuns: RUNS },
    );
  }, 600_000);

  it(`forwards only what ingestion accepts, however a real-format event is bent (${RUNS} batches)`, async () => {
    const ingestion = ingestionValidator();
    let forwardedEvents = 0;
    const refused: string[] = [];
    const relay = createBrowserRelay({
      projectToken: TOKEN,
      allowedOrigins: ['https://app.example'],
      rateLimit: { limit: 1_000_000, windowMs: 60_000 },
      fetch: async (_url, init) => {
        const sent = JSON.parse(String(init?.body)) as { events: unknown[] };
        if (!ingestion(sent))
          refused.push(
            `${JSON.stringify(ingestion.errors?.[0])} in ${String(init?.body).slice(0, 2000)}`,
          );
        if (String(init?.body).includes(SECRET)) refused.push('the client token went upstream');
        forwardedEvents += sent.events.length;
        return new Response(null, { status: 202 });
      },
    });
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 20 }), async (batch) => {
        const body = JSON.stringify({ batch });
        const headers: Record<string, string> = {
          origin: 'https://app.example',
          'content-type': 'application/json',
        };
        const response = await relay.handle({
          method: 'POST',
          header: (name) => headers[name],
          clientAddress: '203.0.113.5',
          body,
        });
        expect(refused).toEqual([]);
        expect([202, 400]).toContain(response.status);
        const answer = JSON.parse(response.body ?? '') as {
          accepted: number;
          rejected: number;
          errors: unknown[];
        };
        expect(answer.accepted + answer.rejected).toBe(batch.length);
        expect(answer.errors).toHaveLength(answer.rejected);
      }),
      { numRuns: RUNS },
    );
    // The ingestion property means something only if many bent events do get through.
    expect(forwardedEvents).toBeGreaterThan(RUNS);
  }, 600_000);
});
