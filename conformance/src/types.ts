/** The shapes the runner reads (fixtures, profiles) and writes (results). JSON Schemas in `schemas/` say the same for other languages. */

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** One item of an `envelope` body: its header line, then its payload. */
export interface EnvelopeItemSpec {
  header: { [key: string]: JsonValue };
  /** Exactly one gives the payload: JSON, UTF-8 text, raw bytes, or `fill` bytes of `x`. */
  json?: JsonValue;
  text?: string;
  base64?: string;
  fill?: number;
  /** Write `length` into the item header (default true); without it the payload ends at the next newline. */
  withLength?: boolean;
}

/** A Sentry envelope the runner assembles: the header line, then each item's header line, payload and `\n`. */
export interface EnvelopeSpec {
  header: { [key: string]: JsonValue };
  items: EnvelopeItemSpec[];
}

/**
 * A request a fixture sends. Exactly one of json, text, base64, envelope or generate may give the body.
 * `{{upstream}}` in header values, `text` and any string of `envelope` is replaced by the recording
 * upstream's `host:port`, and `{{unreachable}}` by a closed port on loopback, so DSNs can name them.
 */
export interface FixtureRequest {
  method?: string;
  /**
   * Send to this path on the relay's origin instead of its route, e.g. another path the relay must (or must
   * not) answer. `{{tunnelPath:<dsn>}}` in it is the managed tunnel path of `<dsn>` (SPEC section 25), so
   * `"/monitoring{{tunnelPath:http://key@{{upstream}}/42}}/"` is that path under `/monitoring`, with a slash.
   */
  path?: string;
  /** Appended to the relay's route URL (or to `path`), e.g. `?x=1` or `/extra`. */
  pathSuffix?: string;
  /** Header values; `null` removes a header set by the file's `requestDefaults`. */
  headers?: Record<string, string | null>;
  json?: JsonValue;
  text?: string;
  base64?: string;
  envelope?: EnvelopeSpec;
  /** Compress the body before sending and set `Content-Encoding` (unless the fixture sets it itself). */
  contentEncoding?: 'gzip' | 'deflate';
  /** A body made by the runner: a valid one-event batch padded to exactly `bytes`. */
  generate?: { bytes: number };
  /** Send with `Transfer-Encoding: chunked` and no Content-Length (unless the fixture sets `content-length` itself). */
  chunked?: boolean;
  /** Send all but the end of the body and wait for the answer: proves a relay refuses before reading everything. */
  holdOpen?: boolean;
  /** `false`: send nothing in this step, only listen at the upstream (e.g. for a later redelivery). */
  send?: boolean;
}

/** How the upstream sink answers the relay during one step. */
export interface UpstreamReply {
  status?: number;
  headers?: Record<string, string>;
  delayMs?: number;
}

/** What one request the upstream received must look like. `path` includes the query; `{{upstream}}` is replaced in strings. */
export interface UpstreamRequestExpectation {
  method?: string;
  path?: string;
  headers?: Record<string, JsonValue>;
  json?: JsonValue;
  bodySchema?: string;
  /** The body is byte-for-byte the request's body as it was before `contentEncoding` compressed it. */
  bodyEqualsRequest?: boolean;
  /** The body parsed as a Sentry envelope: a subset of its header, and of each item's header and JSON payload (or exact bytes). */
  envelope?: {
    header?: JsonValue;
    items?: Array<{ header?: JsonValue; json?: JsonValue; base64?: string }>;
  };
}

export interface UpstreamExpectation {
  /** Exactly this many requests reach the upstream during the step. */
  count?: number;
  /** Subset matches of each received request, in order. */
  requests?: UpstreamRequestExpectation[];
  /** Match `requests` against what arrived in any order (concurrent copies), each received request at most once. */
  unordered?: boolean;
  /**
   * How long to listen for the requests this step expects (default 3000 ms): the step ends as soon as
   * `count` or `requests` are met, except `count: 0`, which listens the whole time (default 100 ms).
   */
  withinMs?: number;
}

/** Checks of a step at SHOULD level: when only these fail, the case is a warning (a failure under `--strict`). */
export interface ShouldExpectation {
  status?: number;
  headers?: Record<string, JsonValue>;
  headersAbsent?: string[];
  json?: JsonValue;
  bodySchema?: string;
}

export interface StepExpectation {
  /** The status, or the statuses any of which passes (a requirement that takes either of two answers). */
  status?: number | number[];
  headers?: Record<string, JsonValue>;
  headersAbsent?: string[];
  json?: JsonValue;
  /** A file in `schemas/` the JSON response body must be valid against, e.g. `error-response.schema.json`. */
  bodySchema?: string;
  /** With `holdOpen`: the relay must answer while the body is still incomplete. */
  answersBeforeBodyEnds?: boolean;
  upstream?: UpstreamExpectation;
  /** Strings that must appear nowhere in the response or in anything the upstream received. */
  neverContains?: string[];
  /** Strings that must not appear in the response (they may, and sometimes must, go upstream). */
  responseNeverContains?: string[];
  /** What Postern's contract prefers where the MUST takes more than one answer: checked at SHOULD level. */
  should?: ShouldExpectation;
}

export interface FixtureStep {
  /** Wait this long before sending, e.g. to let a rate-limit window pass. */
  delayMs?: number;
  /**
   * Send without waiting for the answer and go on with the next step; the answer is checked (status,
   * headers, body) when the case ends. For requests that must be in flight together.
   */
  background?: boolean;
  /**
   * Before sending (after `delayMs`), wait until the upstream has received at least this many requests since
   * the case began (10 s at most): a step that needs earlier background requests to be in flight at the
   * upstream waits for that, not for a guessed delay.
   */
  waitForUpstream?: number;
  request: FixtureRequest;
  upstreamReply?: UpstreamReply;
  expect: StepExpectation;
}

export interface FixtureCase {
  id: string;
  requirements: string[];
  description: string;
  comment?: string;
  profile: string;
  steps: FixtureStep[];
}

export interface FixtureFile {
  $schema?: string;
  section: string;
  title: string;
  requestDefaults?: FixtureRequest;
  cases: FixtureCase[];
}

/** `browser`: DebugBundle browser batches. `sentry-tunnel`: Sentry envelopes from a browser SDK's `tunnel` option. */
export type Protocol = 'browser' | 'sentry-tunnel';

/**
 * A named relay configuration that fixtures run under; keys are the contract's option names. In string
 * values, `{{tempDir}}` is replaced by a fresh empty directory the runner makes for each start of the
 * relay and removes afterwards (for `spoolDir` and `localEventsDir`), `{{upstream}}` by the recording
 * upstream's `host:port` and `{{unreachable}}` by a closed port (for the DSNs of a tunnel).
 */
export interface Profile {
  name: string;
  description: string;
  /** Which protocol the relay speaks under this profile. Default `browser`. */
  protocol?: Protocol;
  /** `sink` (the default): the runner's recording upstream. `unreachable`: a closed port (browser profiles' `endpoint`). */
  upstream?: 'sink' | 'unreachable';
  relay: Record<string, JsonValue>;
}

export type Level = 'MUST' | 'SHOULD';

export interface Requirement {
  id: string;
  section: string;
  level: Level;
  text: string;
}

/** One request and what came of it, kept for reports. */
export interface CapturedExchange {
  request: {
    method: string;
    url: string;
    headers: Record<string, string>;
    bodyPreview: string;
    bodyBytes: number;
  };
  response?: {
    status: number;
    headers: Record<string, string>;
    body: string;
    beforeBodyEnded: boolean;
  };
  upstream: CapturedUpstreamRequest[];
  error?: string;
}

export interface CapturedUpstreamRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  bodyBytes: number;
}

export interface CaseFailure {
  step: number;
  /** `SHOULD` for a check in a step's `expect.should`, or any check of a SHOULD-level case. */
  level: Level;
  message: string;
}

/** `warned`: a SHOULD-level case that failed in a run without `--strict`; it does not fail the run. */
export type Outcome = 'passed' | 'failed' | 'warned' | 'skipped';

export interface CaseResult {
  relay: string;
  id: string;
  /** The requirement group of the first requirement, e.g. `ORIGIN` for `R-ORIGIN-2`: a column of the matrix. */
  group: string;
  requirements: string[];
  level: Level;
  description: string;
  profile: string;
  outcome: Outcome;
  /** Why a case was skipped, e.g. the relay does not implement a SHOULD. */
  reason?: string;
  durationMs: number;
  failures: CaseFailure[];
  exchanges: CapturedExchange[];
}

export interface RunSummary {
  total: number;
  passed: number;
  failed: number;
  warned: number;
  skipped: number;
}

/** Everything a run found; every report is rendered from this one object. */
export interface RunResult {
  contract: { version: string };
  runner: { name: string; version: string };
  strict: boolean;
  startedAt: string;
  durationMs: number;
  relays: string[];
  groups: string[];
  requirements: Requirement[];
  cases: CaseResult[];
  summary: RunSummary & { byRelay: Record<string, RunSummary> };
}
