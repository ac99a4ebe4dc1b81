// #region readme
import type { BrowserRelayOptions, TunnelOptions } from '@postern/next';
// #endregion
import { replaceWithProfile } from '../../options.mjs';

// #region readme
// What this app's Postern routes share; each route file adds its `peerAddress`. `next build` imports the
// routes without these variables, which is fine: an engine is built on its route's first request.
// Next.js listens on loopback only (`next start -H 127.0.0.1`), so whoever connects is the reverse proxy
// on this machine: `trustProxy` lets the relay walk its X-Forwarded-For.
export const relayOptions: BrowserRelayOptions = {
  projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN,
  endpoint: process.env.DEBUGBUNDLE_ENDPOINT,
  allowedOrigins: process.env.ALLOWED_ORIGINS?.split(','),
  trustProxy: 'loopback',
};

export const tunnelOptions: TunnelOptions = {
  dsns: process.env.SENTRY_DSN?.split(',') ?? [],
  allowedOrigins: process.env.ALLOWED_ORIGINS?.split(','),
  trustProxy: 'loopback',
};
// #endregion

// Run by the conformance matrix, each profile's options replace these (examples/options.mjs).
replaceWithProfile(
  { relayOptions, tunnelOptions },
  { POSTERN_PROFILE: process.env.POSTERN_PROFILE, POSTERN_PROTOCOL: process.env.POSTERN_PROTOCOL },
);
