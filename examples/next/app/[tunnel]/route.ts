import { posternTunnel } from '@postern/next';
import { tunnelOptions } from '../../relay-options.mjs';

// Sentry.init({ dsn, tunnel: true }) posts to /<a hash of the DSN>. With managedPaths the handlers answer
// only the tunnel's own paths in this dynamic segment, and 404 every other.
export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = posternTunnel({
  ...tunnelOptions,
  managedPaths: true,
});
