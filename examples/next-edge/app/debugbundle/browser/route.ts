import { posternRelay } from '@postern/next';
import { relayOptions } from '../../../relay-options.mjs';

export const runtime = 'edge';

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = posternRelay(relayOptions);
