import { optionsFromEnv } from '../../../../options.mjs';

// The relay's route always exists (it is a file), and fails on its first request with the engine's error
// when its options are not configured (under a sentry-tunnel profile). The tunnel is a handle hook
// (src/hooks.server.ts), installed only when its options are (a sentry-tunnel profile, or SENTRY_DSN).
export const { relayOptions, tunnelOptions } = optionsFromEnv();
