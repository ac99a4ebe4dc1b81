// How every example learns its relay options and where to listen. The conformance runner passes a whole
// profile as JSON in POSTERN_PROFILE; run by hand, set DEBUGBUNDLE_PROJECT_TOKEN (and optionally
// ALLOWED_ORIGINS, comma-separated, and DEBUGBUNDLE_ENDPOINT, the upstream).

export function relayOptionsFromEnv(env = process.env) {
  if (env.POSTERN_PROFILE) return JSON.parse(env.POSTERN_PROFILE);
  const options = { projectToken: env.DEBUGBUNDLE_PROJECT_TOKEN };
  if (env.ALLOWED_ORIGINS) options.allowedOrigins = env.ALLOWED_ORIGINS.split(',').map((origin) => origin.trim());
  if (env.DEBUGBUNDLE_ENDPOINT) options.endpoint = env.DEBUGBUNDLE_ENDPOINT;
  return options;
}

export const listen = { port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' };
