import { relayOptionsFromEnv } from '../../../../options.mjs';

export const relayOptions = relayOptionsFromEnv();
