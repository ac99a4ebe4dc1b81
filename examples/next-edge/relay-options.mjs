import { optionsFromEnv } from '../options.mjs';

// The same routes as examples/next, on the Edge runtime. Next.js hands an Edge route only the environment
// variables its code names as `process.env.NAME`, so each is named here. `next start -H 127.0.0.1` is
// reachable only over loopback: whoever connects is a process on this machine (a proxy in production, the
// conformance runner here), and `trustProxy` (from the profile) decides whether its X-Forwarded-For counts.
const { relayOptions: relay, tunnelOptions: tunnel } = optionsFromEnv({
  POSTERN_PROFILE: process.env.POSTERN_PROFILE,
  POSTERN_PROTOCOL: process.env.POSTERN_PROTOCOL,
  DEBUGBUNDLE_PROJECT_TOKEN: process.env.DEBUGBUNDLE_PROJECT_TOKEN,
  DEBUGBUNDLE_ENDPOINT: process.env.DEBUGBUNDLE_ENDPOINT,
  SENTRY_DSN: process.env.SENTRY_DSN,
  ALLOWED_ORIGINS: process.env.ALLOWED_ORIGINS,
});

export const relayOptions = { ...relay, peerAddress: '127.0.0.1' };
export const tunnelOptions = { ...tunnel, peerAddress: '127.0.0.1' };
