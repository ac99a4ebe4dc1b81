import { posternTunnel } from '@postern/next';
import { tunnelOptions } from '../../../lib/postern';

// For Sentry.init({ dsn, tunnel: '/postern/tunnel' }); `peerAddress` as for the relay.
export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = posternTunnel({
  ...tunnelOptions,
  peerAddress: '127.0.0.1',
});
