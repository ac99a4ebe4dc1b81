import { posternTunnel } from '@postern/next';
import { tunnelOptions } from '../../relay-options.mjs';

export const runtime = 'edge';

export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = posternTunnel({
  ...tunnelOptions,
  managedPaths: true,
});
