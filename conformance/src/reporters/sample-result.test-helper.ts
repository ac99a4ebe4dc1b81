import type { CaseResult, Outcome, RunResult, RunSummary } from '../types.js';

/** Text that must be escaped everywhere: markup characters and a control character invalid in XML 1.0. */
export const HOSTILE_DESCRIPTION = 'Rejects <img> & "quoted" origins\u0001 from foreign sites';
export const INJECTED_BODY = '<script>alert("owned")</script>';

const requestHeaders = { 'content-type': 'application/json', origin: 'https://evil.example' };

function testCase(
  relay: string,
  id: string,
  outcome: Outcome,
  extra: Partial<CaseResult> = {},
): CaseResult {
  const group = id.split('/')[0] ?? id;
  return {
    relay,
    id,
    group,
    requirements: [`R-${group}-1`],
    level: 'MUST',
    description: `${id} behaves`,
    profile: 'default',
    outcome,
    durationMs: 12,
    failures: [],
    exchanges: [
      {
        request: {
          method: 'POST',
          url: `http://127.0.0.1:4010/${relay}/collect`,
          headers: requestHeaders,
          bodyPreview: '{"events":[]}',
          bodyBytes: 13,
        },
        response: { status: 204, headers: {}, body: '', beforeBodyEnded: false },
        upstream: [
          {
            method: 'POST',
            path: '/ingest',
            headers: { 'content-type': 'application/json' },
            body: '{"events":[]}',
            bodyBytes: 13,
          },
        ],
      },
    ],
    ...extra,
  };
}

export function summarize(cases: readonly CaseResult[]): RunSummary {
  const count = (outcome: Outcome): number => cases.filter((c) => c.outcome === outcome).length;
  return {
    total: cases.length,
    passed: count('passed'),
    failed: count('failed'),
    warned: count('warned'),
    skipped: count('skipped'),
  };
}

/** A RunResult whose summary is recomputed from its cases, so tests can vary the cases freely. */
export function resultOf(
  cases: CaseResult[],
  relays = [...new Set(cases.map((c) => c.relay))],
): RunResult {
  return {
    contract: { version: 'v1' },
    runner: { name: 'postern-conformance', version: '0.1.0' },
    strict: false,
    startedAt: '2025-01-01T12:00:00.000Z',
    durationMs: 1234,
    relays,
    groups: ['ORIGIN', 'CORS', 'RATE', 'BODY'],
    requirements: [
      {
        id: 'R-ORIGIN-1',
        section: '3.1',
        level: 'MUST',
        text: 'A relay accepts requests from allowed origins.',
      },
      {
        id: 'R-ORIGIN-2',
        section: '3.1',
        level: 'MUST',
        text: 'A relay rejects requests from other origins with 403.',
      },
      {
        id: 'R-CORS-1',
        section: '3.2',
        level: 'MUST',
        text: 'A relay answers preflights for allowed origins.',
      },
      {
        id: 'R-RATE-1',
        section: '3.3',
        level: 'SHOULD',
        text: 'A relay limits requests per client.',
      },
      {
        id: 'R-BODY-1',
        section: '3.4',
        level: 'SHOULD',
        text: 'A relay refuses oversized bodies before reading them.',
      },
    ],
    cases,
    summary: {
      ...summarize(cases),
      byRelay: Object.fromEntries(
        relays.map((relay) => [relay, summarize(cases.filter((c) => c.relay === relay))]),
      ),
    },
  };
}

/**
 * Two relays, four groups. express: 2 passed, 1 failed (ORIGIN/foreign), 1 warned (RATE/window), 1 skipped;
 * fastify: 4 passed, 1 skipped. Totals: 6 passed, 1 failed, 1 warned, 2 skipped of 10.
 */
export function sampleResult(): RunResult {
  return resultOf([
    testCase('express', 'ORIGIN/allowed', 'passed'),
    testCase('express', 'ORIGIN/foreign', 'failed', {
      requirements: ['R-ORIGIN-2', 'R-ORIGIN-1'],
      description: HOSTILE_DESCRIPTION,
      failures: [
        { step: 1, level: 'MUST', message: 'expected status 403, got 200' },
        { step: 1, level: 'MUST', message: 'upstream received 1 request, expected 0\u001b[2J' },
      ],
      exchanges: [
        {
          request: {
            method: 'POST',
            url: 'http://127.0.0.1:4010/express/collect',
            headers: requestHeaders,
            bodyPreview: '{"events":[{"n":1}]}',
            bodyBytes: 20,
          },
          response: {
            status: 200,
            headers: { 'content-type': 'text/html' },
            body: INJECTED_BODY,
            beforeBodyEnded: false,
          },
          upstream: [
            {
              method: 'POST',
              path: '/ingest',
              headers: { 'x-forwarded-for': '203.0.113.7' },
              body: '{"events":[{"n":1}]}',
              bodyBytes: 20,
            },
          ],
        },
      ],
    }),
    testCase('express', 'CORS/preflight', 'passed'),
    testCase('express', 'RATE/window', 'warned', {
      level: 'SHOULD',
      failures: [{ step: 3, level: 'SHOULD', message: 'expected status 429, got 202' }],
    }),
    testCase('express', 'BODY/hold-open', 'skipped', {
      level: 'SHOULD',
      reason: 'relay does not implement early refusal',
      exchanges: [],
    }),
    testCase('fastify', 'ORIGIN/allowed', 'passed'),
    testCase('fastify', 'ORIGIN/foreign', 'passed'),
    testCase('fastify', 'CORS/preflight', 'passed'),
    testCase('fastify', 'RATE/window', 'passed', { level: 'SHOULD' }),
    testCase('fastify', 'BODY/hold-open', 'skipped', {
      level: 'SHOULD',
      reason: 'relay does not implement early refusal',
      exchanges: [],
    }),
  ]);
}

/** The sample with its failure fixed: nothing failed. */
export function passingResult(): RunResult {
  const { cases } = sampleResult();
  return resultOf(
    cases.map((c) => (c.outcome === 'failed' ? { ...c, outcome: 'passed', failures: [] } : c)),
  );
}
