// How every example learns what to mount and where to listen.
//
// The conformance runner starts an example once per profile, with the protocol under test in
// POSTERN_PROTOCOL (`browser`, the default, or `sentry-tunnel`) and that protocol's options as JSON in
// POSTERN_PROFILE. Each example mounts both routes, the relay and the tunnel, as an app would; the one the
// profile does not test gets placeholder options (`withBothRoutes`), and no case is sent to it.
//
// Run by hand, an example reads the environment: the relay's DEBUGBUNDLE_PROJECT_TOKEN (and optionally
// DEBUGBUNDLE_ENDPOINT, the upstream), the Sentry tunnel's SENTRY_DSN (comma-separated for several projects;
// on /postern/tunnel and on the managed path of each DSN, for Sentry.init({ tunnel: true })), and
// ALLOWED_ORIGINS (comma-separated) for both. The Next.js and SvelteKit examples read these variables in
// their own code, as an app does (examples/next/lib/postern.ts, examples/sveltekit/src/lib/server/postern.ts),
// so set the ones of both routes: a route whose variables are missing fails with the engine's error (in
// SvelteKit, the tunnel's hook with managed paths fails every request). The others mount placeholders for
// the route whose variables are missing; with neither set, the relay is mounted and its own error names the
// missing token.

/**
 * The options of each route to mount, undefined when that route is not configured.
 * @returns {{ relayOptions?: any, tunnelOptions?: any }}
 */
export function optionsFromEnv(env = process.env) {
  if (env.POSTERN_PROFILE) {
    const profile = JSON.parse(env.POSTERN_PROFILE);
    const protocol = env.POSTERN_PROTOCOL || 'browser';
    if (protocol === 'browser') return { relayOptions: profile };
    if (protocol === 'sentry-tunnel') return { tunnelOptions: profile };
    throw new Error(
      `POSTERN_PROTOCOL must be browser or sentry-tunnel, got ${JSON.stringify(protocol)}`,
    );
  }
  const allowedOrigins = env.ALLOWED_ORIGINS
    ? { allowedOrigins: env.ALLOWED_ORIGINS.split(',').map((origin) => origin.trim()) }
    : {};
  const options = {};
  // Without SENTRY_DSN the relay is mounted even with no token, so its own error says what is missing.
  if (env.DEBUGBUNDLE_PROJECT_TOKEN || !env.SENTRY_DSN) {
    options.relayOptions = { projectToken: env.DEBUGBUNDLE_PROJECT_TOKEN, ...allowedOrigins };
    if (env.DEBUGBUNDLE_ENDPOINT) options.relayOptions.endpoint = env.DEBUGBUNDLE_ENDPOINT;
  }
  if (env.SENTRY_DSN)
    options.tunnelOptions = {
      dsns: env.SENTRY_DSN.split(',').map((dsn) => dsn.trim()),
      managedPaths: true,
      ...allowedOrigins,
    };
  return options;
}

/**
 * Options for the route a run does not configure. Nothing listens where they point (port 9 is the discard
 * service), and no case is sent to their routes.
 */
export const PLACEHOLDERS = {
  relayOptions: { projectToken: 'placeholder', endpoint: 'http://127.0.0.1:9/v1/events' },
  tunnelOptions: { dsns: ['http://placeholder@127.0.0.1:9/0'] },
};

/**
 * Both routes' options, placeholders for the one not given: the runner starts an example with the options
 * of one protocol, and `runContract` builds an app with one of them too.
 * @param {{ relayOptions?: any, tunnelOptions?: any }} [options]
 * @returns {{ relayOptions: any, tunnelOptions: any }}
 */
export function withBothRoutes({ relayOptions, tunnelOptions } = {}) {
  return {
    relayOptions: relayOptions ?? PLACEHOLDERS.relayOptions,
    tunnelOptions: tunnelOptions ?? PLACEHOLDERS.tunnelOptions,
  };
}

/**
 * For the examples that read their options from the environment as an app does (Next.js, SvelteKit): run
 * by the conformance runner (POSTERN_PROFILE set), the profile's options replace the ones the app read,
 * in place, before any route is built from them; the route the profile does not test gets placeholders.
 * Run by hand, the app's own options stay.
 * @param {{ relayOptions: object, tunnelOptions: object }} options
 * @param {Record<string, string | undefined>} env
 */
export function replaceWithProfile(options, env) {
  if (!env.POSTERN_PROFILE) return;
  const profile = withBothRoutes(optionsFromEnv(env));
  for (const key of ['relayOptions', 'tunnelOptions']) {
    for (const name of Object.keys(options[key])) delete options[key][name];
    Object.assign(options[key], profile[key]);
  }
}

// A Worker has no `process` (its environment arrives as `fetch`'s `env`), and the matrix's Worker bundles this file.
const processEnv = globalThis.process?.env ?? {};
export const listen = {
  port: Number(processEnv.PORT ?? 3000),
  host: processEnv.HOST ?? '127.0.0.1',
};
