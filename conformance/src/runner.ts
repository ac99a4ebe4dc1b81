import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { loadContract, type Contract } from './contract.js';
import type { Placeholders } from './placeholders.js';
import { relayConfig } from './relay-config.js';
import { runCase } from './run-case.js';
import { selects } from './select.js';
import { freePort, type RelayTarget, type RunningRelay } from './targets.js';
import type {
  CaseResult,
  FixtureCase,
  Level,
  Outcome,
  Profile,
  Protocol,
  RunResult,
  RunSummary,
} from './types.js';
import { startUpstream, type RecordingUpstream } from './upstream.js';
import { VERSION } from './version.js';

/** Profiles run at once by default: enough to overlap their waits, few enough for two cores. */
const DEFAULT_CONCURRENCY = 4;

export type ProgressEvent =
  | { type: 'begin'; total: number; relays: string[] }
  | { type: 'case'; result: CaseResult; done: number; total: number };

export interface RunOptions {
  targets: RelayTarget[];
  /** Defaults to the contract shipped with this package. */
  contractDir?: string;
  /** Cases to run: ids, sections, requirement ids or a /regex/ (see `selects`). All when empty. */
  grep?: readonly string[];
  /** Only the cases of this profile. */
  profile?: string;
  /** Only the cases of these protocols (a relay that speaks one of them). All when absent. */
  protocols?: readonly Protocol[];
  /** SHOULD-level failures fail the run too. */
  strict?: boolean;
  /** A fixed port for the upstream sink, for relays configured by hand (`urlTarget`); profiles then run one at a time. */
  sinkPort?: number;
  /**
   * How many profiles run at once against each target, each on its own relay start and its own upstream
   * (default 4); 1 with `upstream` or `sinkPort`, whose one upstream would mix the profiles' requests.
   */
  concurrency?: number;
  /** The upstream every target forwards to, instead of one the runner starts per target; left open. */
  upstream?: RecordingUpstream;
  /** What `{{unreachable}}` and `{{run}}` stand for, when a relay was configured before the run (`contractConfig`). */
  placeholders?: Pick<Placeholders, 'unreachable' | 'run'>;
  onProgress?: (event: ProgressEvent) => void;
}

function groupOf(requirementId: string): string {
  return requirementId.split('-')[1] ?? 'OTHER';
}

function levelOf(testCase: FixtureCase, contract: Contract): Level {
  const levels = testCase.requirements.map(
    (id) => contract.requirements.find((requirement) => requirement.id === id)?.level ?? 'MUST',
  );
  return levels.includes('MUST') ? 'MUST' : 'SHOULD';
}

function summarise(cases: readonly CaseResult[]): RunSummary {
  const count = (outcome: Outcome): number =>
    cases.filter((result) => result.outcome === outcome).length;
  return {
    total: cases.length,
    passed: count('passed'),
    failed: count('failed'),
    warned: count('warned'),
    skipped: count('skipped'),
  };
}

/** Why a target declared this case not applicable to it: by its profile's name, or a selector that picks it. */
function notApplicableReason(target: RelayTarget, testCase: FixtureCase): string | undefined {
  const declared = target.notApplicable;
  if (declared === undefined) return undefined;
  return (
    declared[testCase.profile] ??
    Object.entries(declared).find(([selector]) => selects(selector, testCase))?.[1]
  );
}

/**
 * Runs the selected cases against every target: one recording upstream per target, one relay start per
 * profile, cases in file order. Never throws for a failing relay: failures are results.
 */
export async function runConformance(options: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const contract = await loadContract(options.contractDir);
  const cases = contract.cases.filter(
    (testCase) =>
      (options.grep === undefined ||
        options.grep.length === 0 ||
        options.grep.some((selector) => selects(selector, testCase))) &&
      (options.profile === undefined || testCase.profile === options.profile) &&
      (options.protocols === undefined ||
        options.protocols.includes(contract.profiles.get(testCase.profile)?.protocol ?? 'browser')),
  );
  const total = cases.length * options.targets.length;
  options.onProgress?.({
    type: 'begin',
    total,
    relays: options.targets.map((target) => target.name),
  });
  const results: CaseResult[] = [];
  let done = 0;
  const byProfile = new Map<string, FixtureCase[]>();
  for (const testCase of cases)
    byProfile.set(testCase.profile, [...(byProfile.get(testCase.profile) ?? []), testCase]);

  // One value per run: relays that remember event ids (R-DELIVER-7) see this run's events as new.
  const run = options.placeholders?.run ?? randomBytes(4).toString('hex');
  // Profiles share nothing but the upstream, so each runs on its own relay start and, unless the caller
  // gives one upstream for all, its own upstream, several at once: most of a profile's time is waiting
  // (rate-limit windows, timeouts, redelivery backoff), not work.
  const sharedSink = options.upstream !== undefined || options.sinkPort !== undefined;
  const concurrency = sharedSink ? 1 : Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);

  for (const target of options.targets) {
    const fixedSink =
      options.upstream ??
      (options.sinkPort === undefined
        ? undefined
        : await startUpstream({ port: options.sinkPort }));

    const runProfile = async (
      profileName: string,
      profileCases: FixtureCase[],
    ): Promise<CaseResult[]> => {
      const profileResults: CaseResult[] = [];
      const record = (
        testCase: FixtureCase,
        outcome: Outcome,
        fields: Pick<CaseResult, 'durationMs' | 'failures' | 'exchanges' | 'reason'>,
      ): void => {
        const result: CaseResult = {
          relay: target.name,
          id: testCase.id,
          group: groupOf(testCase.requirements[0] as string),
          requirements: testCase.requirements,
          level: levelOf(testCase, contract),
          description: testCase.description,
          profile: profileName,
          outcome,
          ...fields,
        };
        profileResults.push(result);
        done += 1;
        options.onProgress?.({ type: 'case', result, done, total });
      };
      const applicable: FixtureCase[] = [];
      for (const testCase of profileCases) {
        const reason = notApplicableReason(target, testCase);
        if (reason === undefined) applicable.push(testCase);
        else
          record(testCase, 'skipped', {
            reason: `does not apply to ${target.name}: ${reason}`,
            durationMs: 0,
            failures: [],
            exchanges: [],
          });
      }
      if (applicable.length === 0) return profileResults;
      const sink = fixedSink ?? (await startUpstream());
      const profile = contract.profiles.get(profileName) as Profile;
      let relay: RunningRelay | undefined;
      let startError: string | undefined;
      let tempDir: string | undefined;
      try {
        const places: Placeholders = {
          upstream: sink.host,
          unreachable: options.placeholders?.unreachable ?? `127.0.0.1:${await freePort()}`,
          run,
        };
        const made = await relayConfig(profile, sink.url, places);
        tempDir = made.tempDir;
        try {
          relay = await target.start(made.config);
        } catch (error) {
          startError = `the relay did not start for profile "${profileName}": ${error instanceof Error ? error.message : String(error)}`;
        }
        for (const testCase of applicable) {
          const began = Date.now();
          const level = levelOf(testCase, contract);
          const outcome = relay
            ? await runCase(testCase, relay.url, sink, contract.schemas, places, level)
            : {
                failures: [{ step: 0, level, message: startError ?? 'not started' }],
                exchanges: [],
              };
          const failed = outcome.failures.some((failure) => failure.level === 'MUST');
          const warned = outcome.failures.length > 0;
          record(
            testCase,
            failed || (warned && options.strict) ? 'failed' : warned ? 'warned' : 'passed',
            { durationMs: Date.now() - began, ...outcome },
          );
        }
      } finally {
        await relay?.close();
        if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
        if (sink !== fixedSink) await sink.close();
      }
      return profileResults;
    };

    try {
      // Results keep the contract's order (profile by profile) whatever order the profiles finish in.
      const profiles = [...byProfile];
      const finished: CaseResult[][] = new Array(profiles.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let at = next++; at < profiles.length; at = next++) {
          const [name, profileCases] = profiles[at] as [string, FixtureCase[]];
          finished[at] = await runProfile(name, profileCases);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, profiles.length) }, worker));
      for (const profileResults of finished) results.push(...profileResults);
    } finally {
      if (fixedSink !== undefined && fixedSink !== options.upstream) await fixedSink.close();
    }
  }

  const groups = [...new Set(contract.requirements.map((requirement) => groupOf(requirement.id)))];
  const byRelay = Object.fromEntries(
    options.targets.map((target) => [
      target.name,
      summarise(results.filter((result) => result.relay === target.name)),
    ]),
  );
  return {
    contract: { version: contract.version },
    runner: { name: '@postern/conformance', version: VERSION },
    strict: options.strict ?? false,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    relays: options.targets.map((target) => target.name),
    groups,
    requirements: contract.requirements,
    cases: results,
    summary: { ...summarise(results), byRelay },
  };
}
