import { Hono } from 'hono';
import { getConnInfo } from 'hono/cloudflare-workers';
import { env } from 'cloudflare:workers';
import { posternRelay, posternTunnel } from '@postern/hono';

// Hono on Cloudflare Workers: the relay on /debugbundle/browser and the Sentry tunnel on /postern/tunnel and
// the path Sentry.init({ dsn, tunnel: true }) posts to. The Worker's vars and secrets come from
// `cloudflare:workers`, so both are built once, not per request; getConnInfo reads CF-Connecting-IP, which
// Cloudflare sets on every request.
const allowedOrigins = env.ALLOWED_ORIGINS.split(',');

const app = new Hono();
app.all(
  '/debugbundle/browser',
  posternRelay({
    projectToken: env.DEBUGBUNDLE_PROJECT_TOKEN,
    endpoint: env.DEBUGBUNDLE_ENDPOINT,
    allowedOrigins,
    getConnInfo,
  }),
);
app.use(posternTunnel({ dsns: [env.SENTRY_DSN], managedPaths: true, allowedOrigins, getConnInfo }));

export default app;
