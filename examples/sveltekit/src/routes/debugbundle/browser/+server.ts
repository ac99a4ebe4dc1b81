import { posternRelay } from '@postern/sveltekit';
import { relayOptions } from '$lib/server/postern';

export const fallback = posternRelay(relayOptions);
