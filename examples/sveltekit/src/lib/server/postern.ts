// #region readme
import { env } from '$env/dynamic/private';
import type { BrowserRelayOptions, TunnelOptions } from '@postern/sveltekit';
// #endregion
import { replaceWithProfile } from '../../../../options.mjs';

// #region readme
// What this app's Postern route and hook share. `vite build` imports them without these variables, which
// is fine: an engine is built on the first request that needs it.
export const relayOptions: BrowserRelayOptions = {
  projectToken: env.DEBUGBUNDLE_PROJECT_TOKEN,
  endpoint: env.DEBUGBUNDLE_ENDPOINT,
  allowedOrigins: env.ALLOWED_ORIGINS?.split(','),
};

export const tunnelOptions: TunnelOptions = {
  dsns: env.SENTRY_DSN?.split(',') ?? [],
  managedPaths: true,
  allowedOrigins: env.ALLOWED_ORIGINS?.split(','),
};
// #endregion

// Run by the conformance matrix, each profile's options replace these (examples/options.mjs).
replaceWithProfile({ relayOptions, tunnelOptions }, process.env);
