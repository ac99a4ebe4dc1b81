import type { ValidateFunction } from 'ajv/dist/2020.js';
import { encodeBody, requestBody } from './body.js';
import { fillPlaceholders, type Placeholders } from './placeholders.js';
import { parseEnvelope, type ParsedEnvelope } from './envelope.js';
import { sendRequest, type SentResponse } from './http-client.js';
import { matchValue } from './match.js';
import type { ReceivedRequest, RecordingUpstream } from './upstream.js';
import type {
  CapturedExchange,
  CaseFailure,
  FixtureCase,
  FixtureStep,
  JsonValue,
  Level,
  ShouldExpectation,
  UpstreamRequestExpectation,
} from './types.js';

const PREVIEW_BYTES = 4096;
const UPSTREAM_WAIT_MS = 3000;
/** How long to keep listening for upstream requests that must not come. */
const QUIET_MS = 100;

export interface CaseRun {
  failures: CaseFailure[];
  exchanges: CapturedExchange[];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Validators by schema file name, from the contract. */
export type SchemaValidators = ReadonlyMap<string, ValidateFunction>;

function checkSchema(
  schemas: SchemaValidators,
  name: string,
  body: unknown,
  where: string,
  problems: string[],
): void {
  const validate = schemas.get(name);
  if (!validate) return void problems.push(`${where}: the contract has no schema ${name}`);
  if (!validate(body)) {
    const first = validate.errors?.[0];
    problems.push(
      `${where}: not valid against ${name}: ${first?.instancePath || '(root)'} ${first?.message ?? ''}`.trimEnd(),
    );
  }
}

/** The response checks a step's `expect` and its `expect.should` have in common. */
function checkAnswer(
  expect: Omit<ShouldExpectation, 'status'> & { status?: number | number[] | undefined },
  response: SentResponse,
  schemas: SchemaValidators,
  problems: string[],
): void {
  const statuses = expect.status === undefined ? [] : [expect.status].flat();
  if (statuses.length > 0 && !statuses.includes(response.status)) {
    problems.push(
      `status: expected ${statuses.join(' or ')}, got ${response.status} ${response.body.slice(0, 300)}`,
    );
  }
  for (const [name, value] of Object.entries(expect.headers ?? {})) {
    const actual = response.headers[name.toLowerCase()];
    if (actual === undefined)
      problems.push(`header ${name}: missing, expected ${JSON.stringify(value)}`);
    else matchValue(value, actual, `header ${name}`, problems);
  }
  for (const name of expect.headersAbsent ?? []) {
    const actual = response.headers[name.toLowerCase()];
    if (actual !== undefined)
      problems.push(`header ${name}: must be absent, got ${JSON.stringify(actual)}`);
  }
  if (expect.json !== undefined) {
    const body = parseJson(response.body);
    if (body === undefined)
      problems.push(`body: expected JSON, got ${JSON.stringify(response.body.slice(0, 300))}`);
    else matchValue(expect.json, body, 'body', problems);
  }
  if (expect.bodySchema !== undefined) {
    const body = parseJson(response.body);
    if (body === undefined)
      problems.push(
        `body: expected JSON valid against ${expect.bodySchema}, got ${JSON.stringify(response.body.slice(0, 300))}`,
      );
    else checkSchema(schemas, expect.bodySchema, body, 'body', problems);
  }
}

function checkResponse(
  step: FixtureStep,
  response: SentResponse,
  schemas: SchemaValidators,
  problems: string[],
): void {
  checkAnswer(step.expect, response, schemas, problems);
  if (step.expect.answersBeforeBodyEnds && !response.beforeBodyEnded)
    problems.push('the relay answered only after the whole body was sent');
}

function checkUpstream(
  step: FixtureStep,
  received: readonly ReceivedRequest[],
  sentBody: Buffer | undefined,
  schemas: SchemaValidators,
  problems: string[],
): void {
  const expected = step.expect.upstream;
  if (!expected) return;
  if (expected.count !== undefined && received.length !== expected.count) {
    problems.push(`upstream: expected ${expected.count} request(s), received ${received.length}`);
  }
  const wants = expected.requests ?? [];
  if (!expected.unordered) {
    for (const [index, want] of wants.entries()) {
      const got = received[index];
      const where = `upstream request ${index + 1}`;
      if (got) checkUpstreamRequest(want, got, sentBody, schemas, where, problems);
      else problems.push(`${where}: never arrived`);
    }
    return;
  }
  // Concurrent copies arrive in any order: each expectation takes the first unclaimed request it fits.
  const claimed = new Set<number>();
  for (const [index, want] of wants.entries()) {
    const where = `expected upstream request ${index + 1}`;
    const fit = received.findIndex((got, at) => {
      if (claimed.has(at)) return false;
      const scratch: string[] = [];
      checkUpstreamRequest(want, got, sentBody, schemas, where, scratch);
      return scratch.length === 0;
    });
    if (fit !== -1) {
      claimed.add(fit);
      continue;
    }
    const reasons: string[] = [];
    for (const [at, got] of received.entries()) {
      if (claimed.has(at)) continue;
      checkUpstreamRequest(want, got, sentBody, schemas, `${where} vs received ${at + 1}`, reasons);
    }
    problems.push(
      `${where}: no received request matches${reasons.length > 0 ? ` (${reasons.slice(0, 4).join('; ')})` : ''}`,
    );
  }
}

function checkUpstreamRequest(
  want: UpstreamRequestExpectation,
  got: ReceivedRequest,
  sentBody: Buffer | undefined,
  schemas: SchemaValidators,
  where: string,
  problems: string[],
): void {
  if (want.method !== undefined && got.method !== want.method)
    problems.push(`${where}: method ${got.method}, expected ${want.method}`);
  if (want.path !== undefined && got.path !== want.path)
    problems.push(`${where}: path ${got.path}, expected ${want.path}`);
  for (const [name, value] of Object.entries(want.headers ?? {})) {
    const actual = got.headers[name.toLowerCase()];
    if (isAbsentMatcher(value)) {
      if (actual !== undefined)
        problems.push(`${where} header ${name}: must be absent, got ${JSON.stringify(actual)}`);
    } else if (actual === undefined) problems.push(`${where} header ${name}: missing`);
    else matchValue(value, actual, `${where} header ${name}`, problems);
  }
  if (want.json !== undefined || want.bodySchema !== undefined) {
    const body = parseJson(got.body);
    if (body === undefined) problems.push(`${where}: body is not JSON`);
    else {
      if (want.json !== undefined) matchValue(want.json, body, `${where} body`, problems);
      if (want.bodySchema !== undefined)
        checkSchema(schemas, want.bodySchema, body, `${where} body`, problems);
    }
  }
  if (want.bodyEqualsRequest && !(sentBody !== undefined && got.raw.equals(sentBody))) {
    problems.push(
      `${where}: the body is not byte-for-byte the one sent (${got.raw.length} bytes received, ${sentBody?.length ?? 0} sent${firstDifference(got.raw, sentBody)})`,
    );
  }
  if (want.envelope !== undefined)
    checkEnvelope(want.envelope, parseEnvelope(got.raw), where, problems);
}

function firstDifference(received: Buffer, sent: Buffer | undefined): string {
  if (sent === undefined) return '';
  const length = Math.min(received.length, sent.length);
  for (let index = 0; index < length; index++)
    if (received[index] !== sent[index]) return `; first difference at byte ${index}`;
  return '';
}

function checkEnvelope(
  want: NonNullable<UpstreamRequestExpectation['envelope']>,
  got: ParsedEnvelope | string,
  where: string,
  problems: string[],
): void {
  if (typeof got === 'string') return void problems.push(`${where}: not a Sentry envelope: ${got}`);
  if (want.header !== undefined)
    matchValue(want.header, got.header, `${where} envelope header`, problems);
  for (const [index, item] of (want.items ?? []).entries()) {
    const actual = got.items[index];
    const at = `${where} envelope item ${index + 1}`;
    if (!actual) {
      problems.push(`${at}: missing (the envelope has ${got.items.length} item(s))`);
      continue;
    }
    if (item.header !== undefined) matchValue(item.header, actual.header, `${at} header`, problems);
    if (item.json !== undefined) {
      const payload = parseJson(actual.payload.toString('utf8'));
      if (payload === undefined) problems.push(`${at}: payload is not JSON`);
      else matchValue(item.json, payload, `${at} payload`, problems);
    }
    if (item.base64 !== undefined && !actual.payload.equals(Buffer.from(item.base64, 'base64')))
      problems.push(
        `${at}: payload bytes differ from the expected ${Buffer.from(item.base64, 'base64').length} bytes`,
      );
  }
}

function isAbsentMatcher(value: JsonValue): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.hasOwn(value, '$absent')
  );
}

function responseContains(response: SentResponse | undefined, text: string): boolean {
  return (
    response !== undefined &&
    (response.body.includes(text) ||
      Object.values(response.headers).some((value) => value.includes(text)))
  );
}

function checkNeverContains(
  step: FixtureStep,
  response: SentResponse | undefined,
  received: readonly ReceivedRequest[],
  problems: string[],
): void {
  for (const secret of step.expect.responseNeverContains ?? []) {
    if (responseContains(response, secret))
      problems.push(`the response contains ${JSON.stringify(secret)}`);
  }
  for (const secret of step.expect.neverContains ?? []) {
    if (responseContains(response, secret))
      problems.push(`the response contains ${JSON.stringify(secret)}`);
    received.forEach((request, index) => {
      if (
        request.raw.includes(secret) ||
        request.rawHeaders.some((value) => value.includes(secret)) ||
        request.path.includes(secret)
      ) {
        problems.push(`upstream request ${index + 1} contains ${JSON.stringify(secret)}`);
      }
    });
  }
}

/** Waits as the step's upstream expectation asks: until the expected requests arrived, or the whole window for "none". */
async function listen(step: FixtureStep, sink: RecordingUpstream, from: number): Promise<void> {
  const upstream = step.expect.upstream;
  const wanted = upstreamWaitCount(step);
  if (wanted > 0) await sink.waitFor(from, wanted, upstream?.withinMs ?? UPSTREAM_WAIT_MS);
  else if (upstream?.count === 0 || step.expect.neverContains)
    await new Promise((resolve) => setTimeout(resolve, upstream?.withinMs ?? QUIET_MS));
}

function upstreamWaitCount(step: FixtureStep): number {
  const upstream = step.expect.upstream;
  if (!upstream) return 0;
  return Math.max(upstream.count ?? 0, upstream.requests?.length ?? 0);
}

/**
 * Runs every step of one case against a relay URL, recording what was sent, answered and forwarded. A
 * failed check stops the case; a failed `expect.should` is recorded at SHOULD level and the case goes on.
 */
/** The longest a step's `waitForUpstream` waits. */
const WAIT_FOR_UPSTREAM_MS = 10_000;

export async function runCase(
  testCase: FixtureCase,
  relayUrl: string,
  sink: RecordingUpstream,
  schemas: SchemaValidators,
  places: Placeholders,
  level: Level = 'MUST',
): Promise<CaseRun> {
  const failures: CaseFailure[] = [];
  const exchanges: CapturedExchange[] = [];
  // Steps sent in the background: their answers are checked when the case ends.
  const background: Array<{
    index: number;
    step: FixtureStep;
    answer: Promise<SentResponse | Error>;
  }> = [];
  const caseStart = sink.received.length;
  for (const [index, fixtureStep] of testCase.steps.entries()) {
    const step = fillPlaceholders(
      fixtureStep as unknown as JsonValue,
      places,
    ) as unknown as FixtureStep;
    if (step.delayMs) await new Promise((resolve) => setTimeout(resolve, step.delayMs));
    // If they never arrive the step is sent anyway; the background steps' own expectations say why.
    if (step.waitForUpstream)
      await sink.waitFor(caseStart, step.waitForUpstream, WAIT_FOR_UPSTREAM_MS);
    sink.setReply(step.upstreamReply);
    const from = sink.received.length;
    const request = step.request;
    const problems: string[] = [];
    let response: SentResponse | undefined;
    const sends = request.send !== false;
    const plain = sends ? requestBody(request) : undefined;
    const headers = Object.fromEntries(
      Object.entries(request.headers ?? {}).filter(
        (entry): entry is [string, string] => entry[1] !== null,
      ),
    );
    const encoding = request.contentEncoding;
    const body =
      plain !== undefined && encoding !== undefined ? encodeBody(plain, encoding) : plain;
    if (
      encoding !== undefined &&
      !Object.keys(headers).some((name) => name.toLowerCase() === 'content-encoding')
    )
      headers['content-encoding'] = encoding;
    const url =
      (request.path === undefined ? relayUrl : new URL(relayUrl).origin + request.path) +
      (request.pathSuffix ?? '');
    const method = request.method ?? 'POST';
    // A listening step is still reported as an exchange (method NONE), so reports show what arrived upstream.
    const exchange: CapturedExchange = sends
      ? {
          request: {
            method,
            url,
            headers,
            bodyPreview: body ? body.subarray(0, PREVIEW_BYTES).toString('utf8') : '',
            bodyBytes: body?.length ?? 0,
          },
          upstream: [],
        }
      : {
          request: {
            method: 'NONE',
            url: '(nothing sent: listening at the upstream)',
            headers: {},
            bodyPreview: '',
            bodyBytes: 0,
          },
          upstream: [],
        };
    exchanges.push(exchange);
    const send = (): Promise<SentResponse> =>
      sendRequest({
        method,
        url,
        headers,
        body,
        chunked: request.chunked ?? false,
        holdOpen: request.holdOpen ?? false,
        timeoutMs: request.holdOpen ? 5000 : 15000,
      });
    if (step.background) {
      const answer = send().then(
        (sent) => {
          exchange.response = sent;
          return sent;
        },
        (error: unknown) => {
          exchange.error = error instanceof Error ? error.message : String(error);
          return new Error(exchange.error);
        },
      );
      background.push({ index, step, answer });
      continue;
    }
    if (sends) {
      try {
        response = await send();
        exchange.response = response;
      } catch (error) {
        exchange.error = error instanceof Error ? error.message : String(error);
        problems.push(`request failed: ${exchange.error}`);
      }
    }
    await listen(step, sink, from);
    const received = sink.received.slice(from);
    exchange.upstream = received.map(({ method: m, path, headers: h, body: b, bodyBytes }) => ({
      method: m,
      path,
      headers: h,
      body: b,
      bodyBytes,
    }));
    const preferences: string[] = [];
    if (response) {
      checkResponse(step, response, schemas, problems);
      if (step.expect.should) checkAnswer(step.expect.should, response, schemas, preferences);
    }
    checkUpstream(step, received, plain, schemas, problems);
    checkNeverContains(step, response, received, problems);
    for (const message of problems) failures.push({ step: index + 1, level, message });
    for (const message of preferences)
      failures.push({ step: index + 1, level: 'SHOULD', message: `(SHOULD) ${message}` });
    if (problems.length > 0) break;
  }
  for (const { index, step, answer } of background) {
    const sent = await answer;
    const problems: string[] = [];
    const preferences: string[] = [];
    if (sent instanceof Error) problems.push(`request failed: ${sent.message}`);
    else {
      checkResponse(step, sent, schemas, problems);
      if (step.expect.should) checkAnswer(step.expect.should, sent, schemas, preferences);
    }
    for (const message of problems) failures.push({ step: index + 1, level, message });
    for (const message of preferences)
      failures.push({ step: index + 1, level: 'SHOULD', message: `(SHOULD) ${message}` });
  }
  sink.setReply(undefined);
  return { failures, exchanges };
}
