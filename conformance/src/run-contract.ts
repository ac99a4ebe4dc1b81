import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { loadContract } from './contract.js';
import type { Placeholders } from './placeholders.js';
import { renderConsole } from './reporters/console.js';
import { relayConfig } from './relay-config.js';
import { runConformance } from './runner.js';
import { serveApp, type ContractApp } from './serve-app.js';
import { freePort, type RelayConfig, type RelayTarget } from './targets.js';
import type { Protocol, RunResult } from './types.js';
import type { RecordingUpstream } from './upstream.js';

/** The profile each protocol's cases mostly run under: what an app configured for production looks like. */
const DEFAULT_PROFILES: Record<Protocol, string> = {
  browser: 'allowlist',
  'sentry-tunnel': 'tunnel',
};

/** One profile's options made concrete for one app: build the app from `options`, then `runContract(app, config)`. */
export interface ContractConfig extends RelayConfig {
  /** The upstream the options forward to, and the contract's cases look at. */
  readonly upstream: RecordingUpstream;
  /** What the placeholders in the options and in the cases stand for. */
  readonly placeholders: Pick<Placeholders, 'unreachable' | 'run'>;
  /** Removes the directory made for a spool profile's `{{tempDir}}`; a no-op otherwise. */
  dispose(): Promise<void>;
}

export interface ContractConfigOptions {
  /** The recording upstream the app must forward to (`startUpstream()`). */
  upstream: RecordingUpstream;
  /** Default `browser`. */
  protocol?: Protocol;
  /** A profile of that protocol (`conformance/profiles/`); default `allowlist` for the relay, `tunnel` for the tunnel. */
  profile?: string;
  /** Defaults to the contract shipped with this package. */
  contractDir?: string;
}

/**
 * The options an app must mount its relay (or tunnel) with for `runContract` to hold it to one profile's
 * cases: the profile's options, with `endpoint` (or the DSNs) pointing at `upstream`.
 *
 * @example
 * import express from 'express';
 * import { posternRelay, type ExpressRelayOptions } from '@postern/express';
 * import { contractConfig, startUpstream } from '@postern/conformance';
 *
 * const upstream = await startUpstream();
 * const config = await contractConfig({ upstream });
 * // The profile's options are JSON as the contract states them; the adapter's type names them.
 * const options = config.options as unknown as ExpressRelayOptions;
 * const app = express().use('/debugbundle/browser', posternRelay(options));
 */
export async function contractConfig(options: ContractConfigOptions): Promise<ContractConfig> {
  const protocol = options.protocol ?? 'browser';
  const name = options.profile ?? DEFAULT_PROFILES[protocol];
  const contract = await loadContract(options.contractDir);
  const profile = contract.profiles.get(name);
  if (profile === undefined)
    throw new Error(
      `no profile named "${name}" in the contract; there are ${[...contract.profiles.keys()].join(', ')}`,
    );
  if ((profile.protocol ?? 'browser') !== protocol)
    throw new Error(`profile "${name}" is for ${profile.protocol ?? 'browser'}, not ${protocol}`);
  const placeholders = {
    unreachable: `127.0.0.1:${await freePort()}`,
    run: randomBytes(4).toString('hex'),
  };
  const { config, tempDir } = await relayConfig(profile, options.upstream.url, {
    upstream: options.upstream.host,
    ...placeholders,
  });
  return {
    ...config,
    upstream: options.upstream,
    placeholders,
    dispose: async () => {
      if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
    },
  };
}

export interface RunContractOptions {
  /** Only these cases: ids, sections, requirement ids or a /regex/, as `--grep` takes them. */
  grep?: readonly string[];
  /** SHOULD-level failures fail the run too. */
  strict?: boolean;
  /** The name the results carry; default `app`. */
  name?: string;
  /** Cases that cannot apply to this app, each with the reason, keyed as `RelayTarget.notApplicable`. */
  notApplicable?: Readonly<Record<string, string>>;
}

/**
 * Runs the contract's cases for `config`'s protocol against an app held as a value (an Express app, a
 * Fastify instance, a request listener or an object with a `fetch` handler), served on a loopback port of
 * its own for the run. The app was built with `config.options`, so only the cases of `config.profile` can
 * apply: the protocol's other cases are reported as skipped, each naming the profile it needs.
 *
 * @example
 * import express from 'express';
 * import { posternRelay, type ExpressRelayOptions } from '@postern/express';
 * import { assertContract, contractConfig, runContract, startUpstream } from '@postern/conformance';
 *
 * const upstream = await startUpstream();
 * const config = await contractConfig({ upstream });
 * const options = config.options as unknown as ExpressRelayOptions;
 * const app = express().use('/debugbundle/browser', posternRelay(options));
 * assertContract(await runContract(app, config));
 * await upstream.close();
 */
export async function runContract(
  app: ContractApp,
  config: ContractConfig,
  options: RunContractOptions = {},
): Promise<RunResult> {
  const contract = await loadContract();
  const otherProfiles: Record<string, string> = {};
  for (const profile of contract.profiles.values())
    if (profile.name !== config.profile)
      otherProfiles[profile.name] =
        `needs the options of profile "${profile.name}"; the app was built with those of "${config.profile}"`;
  const served = await serveApp(app);
  const target: RelayTarget = {
    name: options.name ?? 'app',
    notApplicable: { ...otherProfiles, ...options.notApplicable },
    start: async () => ({ url: `${served.origin}${config.route}`, close: async () => undefined }),
  };
  try {
    return await runConformance({
      targets: [target],
      protocols: [config.protocol],
      upstream: config.upstream,
      placeholders: config.placeholders,
      ...(options.grep === undefined ? {} : { grep: options.grep }),
      ...(options.strict === undefined ? {} : { strict: options.strict }),
    });
  } finally {
    await served.close();
  }
}

/**
 * A target that builds the app afresh for every profile from the options the runner hands it, and serves
 * it as `runContract` does: the whole contract, for an app whose factory takes the relay's options.
 *
 * @example
 * import express from 'express';
 * import { posternRelay, type ExpressRelayOptions } from '@postern/express';
 * import { appTarget, assertContract, runConformance } from '@postern/conformance';
 *
 * const app = appTarget('my app', (options) =>
 *   express().use('/debugbundle/browser', posternRelay(options as unknown as ExpressRelayOptions)),
 * );
 * assertContract(await runConformance({ targets: [app], protocols: ['browser'] }));
 */
export function appTarget(
  name: string,
  create: (
    options: RelayConfig['options'],
    config: RelayConfig,
  ) => ContractApp | Promise<ContractApp>,
  notApplicable?: Readonly<Record<string, string>>,
): RelayTarget {
  return {
    name,
    ...(notApplicable === undefined ? {} : { notApplicable }),
    async start(config) {
      const served = await serveApp(await create(config.options, config));
      return { url: `${served.origin}${config.route}`, close: served.close };
    },
  };
}

/**
 * Throws, with the console report of every failed case, unless the run passed: no MUST-level case failed
 * (nor a SHOULD-level one under `strict`) and at least one case ran. For any test runner: vitest, jest,
 * `node:test`.
 */
export function assertContract(result: RunResult): void {
  const message = contractProblem(result);
  if (message !== undefined) throw new Error(message);
}

function contractProblem(result: RunResult): string | undefined {
  const { failed, passed, warned, skipped, total } = result.summary;
  if (failed > 0)
    return `${failed} of ${total} contract case(s) failed\n${renderConsole(result, { color: false })}`;
  if (passed + warned === 0)
    return `no contract case ran (${skipped} skipped): check the profile and the grep`;
  return undefined;
}

/**
 * `expect.extend(contractMatchers)` in vitest or jest, then `expect(result).toPassContract()`: the same
 * check as `assertContract`, reported as a matcher failure.
 */
export const contractMatchers = {
  toPassContract(result: RunResult) {
    const problem = contractProblem(result);
    const { passed, warned, skipped } = result.summary;
    return {
      pass: problem === undefined,
      message: () =>
        problem ??
        `expected the contract to fail, but ${passed + warned} case(s) passed (${skipped} skipped)`,
    };
  },
};
