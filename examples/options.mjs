// How every example learns what to mount and where to listen.
//
// The conformance runner starts an example once per profile, with the protocol under test in
// POSTERN_PROTOCOL (`browser`, the default, or `sentry-tunnel`) and that protocol's options as JSON in
// POSTERN_PROFILE: the example then mounts only that one, the relay or the tunnel.
//
// Run by hand, it mounts what the environment configures: the relay with DEBUGBUNDLE_PROJECT_TOKEN (and
// optionally DEBUGBUNDLE_ENDPOINT, the upstream), the Sentry tunnel with SENTRY_DSN (comma-separated for
// several projects; on /postern/tunnel and on the managed path of each DSN, for Sentry.init({ tunnel: true })),
// both with ALLOWED_ORIGINS (comma-separated). With neither set, the relay is mounted and its own error
// names the missing token.

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

// A Worker has no `process` (its environment arrives as `fetch`'s `env`), and the matrix's Worker bundles this file.
const processEnv = globalThis.process?.env ?? {};
export const listen = {
  port: Number(processEnv.PORT ?? 3000),
  host: processEnv.HOST ?? '127.0.0.1',
};
