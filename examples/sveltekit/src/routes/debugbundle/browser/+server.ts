import { posternRelay } from '@postern/sveltekit';
import { relayOptions } from '$lib/server/relay-options.js';

export const fallback = posternRelay(relayOptions);
