import { posternTunnel } from '@postern/next';
import { tunnelOptions } from '../../../relay-options.mjs';

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = posternTunnel(tunnelOptions);
