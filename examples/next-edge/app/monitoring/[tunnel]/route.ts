import { posternTunnel } from '@postern/next';
import { tunnelOptions } from '../../../lib/postern';

export const runtime = 'edge';

// The same under a base path, for Sentry.init({ dsn, tunnel: { basePath: '/monitoring' } }) with
// basePath: '/monitoring' in the tunnel's options: /monitoring/<a hash of the DSN>.
export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = posternTunnel({
  ...tunnelOptions,
  managedPaths: true,
  peerAddress: '127.0.0.1',
});
