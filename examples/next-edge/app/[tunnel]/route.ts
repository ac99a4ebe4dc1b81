import { posternTunnel } from '@postern/next';
import { tunnelOptions } from '../../lib/postern';

export const runtime = 'edge';

// Sentry.init({ dsn, tunnel: true }) posts to /<a hash of the DSN>. With managedPaths the handlers answer
// only the tunnel's own paths in this dynamic segment, and 404 every other.
export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = posternTunnel({
  ...tunnelOptions,
  managedPaths: true,
  peerAddress: '127.0.0.1',
});
