import {
  cloudflareClientAddress,
  createBrowserRelay,
  createTunnel,
  createWebHandler,
} from '@postern/core';

/**
 * The relay on /debugbundle/browser and the Sentry tunnel on /postern/tunnel and the path
 * `Sentry.init({ dsn, tunnel: true })` posts to. Compiled on the first request, since a Worker's secrets
 * and vars arrive in `env`. The client's address is CF-Connecting-IP, which Cloudflare sets on every request.
 */
function compile(env) {
  const allowedOrigins = env.ALLOWED_ORIGINS.split(',');
  const relay = createBrowserRelay({
    projectToken: env.DEBUGBUNDLE_PROJECT_TOKEN,
    endpoint: env.DEBUGBUNDLE_ENDPOINT,
    allowedOrigins,
  });
  const tunnel = createTunnel({ dsns: [env.SENTRY_DSN], managedPaths: true, allowedOrigins });
  return createWebHandler([relay, tunnel], { clientAddress: cloudflareClientAddress });
}

let handle;

export default {
  fetch(request, env) {
    handle ??= compile(env);
    return handle(request);
  },
};
