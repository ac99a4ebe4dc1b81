import { createServer } from 'node:http';
import { posternRelay, posternTunnel } from '@postern/node';

export function createApp({ relayOptions, tunnelOptions }) {
  const relay = relayOptions ? posternRelay(relayOptions) : (_req, res) => res.writeHead(404).end();
  const tunnel = tunnelOptions ? posternTunnel(tunnelOptions) : (_req, _res, next) => next();
  return createServer((req, res) => tunnel(req, res, () => relay(req, res)));
}
