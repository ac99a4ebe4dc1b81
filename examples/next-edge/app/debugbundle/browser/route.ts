import { posternRelay } from '@postern/next';
import { relayOptions } from '../../../lib/postern';

export const runtime = 'edge';

// Route handlers never see the socket: `peerAddress` says who connects to Next.js (here the proxy on
// this machine, whose X-Forwarded-For the options trust).
export const { GET, POST, PUT, PATCH, DELETE, OPTIONS } = posternRelay({
  ...relayOptions,
  peerAddress: '127.0.0.1',
});
