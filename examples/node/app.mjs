import { createServer } from 'node:http';
import { createNodeRelay } from '@postern/node';

export function createApp(relayOptions) {
  const relay = createNodeRelay(relayOptions);
  return createServer((req, res) => relay(req, res));
}
