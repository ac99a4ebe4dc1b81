import { optionsFromEnv } from '../options.mjs';

// `next start -H 127.0.0.1` (see package.json) is reachable only over loopback, so whoever connects is a
// process on this machine: a proxy in production, the conformance runner here. `trustProxy` (from the
// profile) then decides whether that proxy's X-Forwarded-For is believed.
//
// Both routes always exist (they are files); the one whose options are not configured (the relay under a
// sentry-tunnel profile, the tunnel without SENTRY_DSN) fails on its first request with the engine's error.
const { relayOptions: relay, tunnelOptions: tunnel } = optionsFromEnv();

export const relayOptions = { ...relay, peerAddress: '127.0.0.1' };
export const tunnelOptions = { ...tunnel, peerAddress: '127.0.0.1' };
