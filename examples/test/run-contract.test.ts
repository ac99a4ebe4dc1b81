// runContract against every Node example app, held as a value the way an app's own test suite holds it;
// examples/express/relay.contract.test.mjs is the file an app team copies (shown in the conformance README).
import {
  appTarget,
  assertContract,
  contractConfig,
  loadContract,
  type RecordingUpstream,
  runConformance,
  runContract,
  startUpstream,
} from '@postern/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type CreateApp = (options: { relayOptions?: unknown; tunnelOptions?: unknown }) => unknown;

/** An example's `createApp`, loaded by URL: the examples are plain JavaScript, as an app's own files may be. */
async function load(example: string): Promise<CreateApp> {
  const module = (await import(new URL(`../${example}/app.mjs`, import.meta.url).href)) as {
    createApp: CreateApp;
  };
  return module.createApp;
}

const APPS: Record<string, () => Promise<CreateApp>> = {
  // A request listener (an Express app is one).
  express: () => load('express'),
  // A Fastify instance: served from app.server once ready.
  fastify: () => load('fastify'),
  // A node:http Server that is not listening yet.
  node: () => load('node'),
  // An object with a fetch handler (a Hono app), given the socket as @hono/node-server gives it.
  hono: () => load('hono'),
};

let upstream: RecordingUpstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

async function casesOf(profile: string): Promise<number> {
  return (await loadContract()).cases.filter((testCase) => testCase.profile === profile).length;
}

describe.each(Object.keys(APPS))('runContract with the %s example app', (name) => {
  it.each([
    ['browser', 'allowlist', 'relayOptions'],
    ['sentry-tunnel', 'tunnel', 'tunnelOptions'],
  ] as const)(
    'passes the %s cases of profile %s, and reports every other profile of it as not applicable',
    async (protocol, profile, key) => {
      const createApp = await (APPS[name] as () => Promise<CreateApp>)();
      const config = await contractConfig({ upstream, protocol });
      expect(config.profile).toBe(profile);
      const app = await createApp({ [key]: config.options });
      const result = await runContract(app as Parameters<typeof runContract>[0], config, { name });
      assertContract(result);
      const contract = await loadContract();
      const ofProtocol = contract.cases.filter(
        (testCase) => (contract.profiles.get(testCase.profile)?.protocol ?? 'browser') === protocol,
      );
      expect(result.summary.total).toBe(ofProtocol.length);
      expect(result.summary.passed + result.summary.warned).toBe(await casesOf(profile));
      expect(result.summary.skipped).toBe(ofProtocol.length - (await casesOf(profile)));
      const skipped = result.cases.find((testCase) => testCase.outcome === 'skipped');
      expect(skipped?.reason).toMatch(
        /needs the options of profile ".+"; the app was built with those of "/,
      );
      await (app as { close?: () => Promise<void> }).close?.();
    },
  );
});

describe('runContract', () => {
  it('fails, naming the failed cases, for an app whose relay does not hold to the profile it was given', async () => {
    const createApp = await (APPS.express as () => Promise<CreateApp>)();
    const config = await contractConfig({ upstream });
    // The page's origin is not allowed: every cross-origin case of the profile gets 403 where it expects more.
    const app = createApp({
      relayOptions: { ...config.options, allowedOrigins: ['https://elsewhere.example'] },
    });
    const result = await runContract(app as Parameters<typeof runContract>[0], config, {
      grep: ['browser/2'],
    });
    expect(result.summary.failed).toBeGreaterThan(0);
    expect(() => assertContract(result)).toThrow(/contract case\(s\) failed[\s\S]*browser\/2\//);
  });

  it('fails when no case ran, rather than passing on nothing', async () => {
    const createApp = await (APPS.express as () => Promise<CreateApp>)();
    const config = await contractConfig({ upstream, profile: 'defaults' });
    const app = createApp({ relayOptions: config.options });
    const result = await runContract(app as Parameters<typeof runContract>[0], config, {
      grep: ['browser/2/1'],
    });
    expect(result.summary.passed).toBe(0);
    expect(() => assertContract(result)).toThrow(/no contract case ran/);
  });

  it('refuses a profile of the other protocol, or one that does not exist, before anything runs', async () => {
    await expect(
      contractConfig({ upstream, protocol: 'sentry-tunnel', profile: 'allowlist' }),
    ).rejects.toThrow('profile "allowlist" is for browser, not sentry-tunnel');
    await expect(contractConfig({ upstream, profile: 'nope' })).rejects.toThrow(
      'no profile named "nope"',
    );
  });

  it('appTarget runs every profile against an app built afresh for each, served the same way', async () => {
    const createApp = await (APPS.hono as () => Promise<CreateApp>)();
    const result = await runConformance({
      targets: [
        appTarget(
          'hono',
          (options, config) =>
            createApp(
              config.protocol === 'browser'
                ? { relayOptions: options }
                : { tunnelOptions: options },
            ) as never,
        ),
      ],
      grep: ['browser/5', 'browser/9', 'tunnel/20'],
    });
    expect(new Set(result.cases.map((testCase) => testCase.profile)).size).toBeGreaterThan(2);
    assertContract(result);
    expect(result.summary.skipped).toBe(0);
  });
});
