import { posternTunnel } from '@postern/sveltekit';
import { tunnelOptions } from '$lib/server/relay-options.js';

export const fallback = posternTunnel(tunnelOptions);
