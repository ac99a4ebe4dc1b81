import { createServer } from 'node:http';
import { createNodeRelay, createNodeTunnel } from '@postern/node';

export function createApp({ relayOptions, tunnelOptions }) {
  const relay = relayOptions
    ? createNodeRelay(relayOptions)
    : (_req, res) => res.writeHead(404).end();
  const tunnel = tunnelOptions ? createNodeTunnel(tunnelOptions) : (_req, _res, next) => next();
  return createServer((req, res) => tunnel(req, res, () => relay(req, res)));
}
