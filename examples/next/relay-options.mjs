import { relayOptionsFromEnv } from '../options.mjs';

// `next start -H 127.0.0.1` (see package.json) is reachable only over loopback, so whoever connects is a
// process on this machine: a proxy in production, the conformance runner here. `trustProxy` (from the
// profile) then decides whether that proxy's X-Forwarded-For is believed.
export const relayOptions = { ...relayOptionsFromEnv(), peerAddress: '127.0.0.1' };
