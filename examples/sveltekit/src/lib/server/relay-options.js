import { optionsFromEnv } from '../../../../options.mjs';

// Both routes always exist (they are files); the one whose options are not configured (the relay under a
// sentry-tunnel profile, the tunnel without SENTRY_DSN) fails on its first request with the engine's error.
export const { relayOptions, tunnelOptions } = optionsFromEnv();
