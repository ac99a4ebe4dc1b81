import {
  createBrowserRelay,
  createTunnel,
  createWebHandler,
  vercelClientAddress,
} from '@postern/core';

// A Vercel Function on the Edge runtime: the relay on /debugbundle/browser and the Sentry tunnel on
// /postern/tunnel and the path Sentry.init({ dsn, tunnel: true }) posts to, 404 elsewhere. The client's
// address is X-Real-IP, which Vercel's edge sets on every request.
export const config = { runtime: 'edge' };

const allowedOrigins = process.env.ALLOWED_ORIGINS.split(',');

export default createWebHandler(
  [
    createBrowserRelay({
      projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN,
      endpoint: process.env.DEBUGBUNDLE_ENDPOINT,
      allowedOrigins,
    }),
    createTunnel({ dsns: [process.env.SENTRY_DSN], managedPaths: true, allowedOrigins }),
  ],
  { clientAddress: vercelClientAddress },
);
