import { createServer } from 'node:http';
import { posternRelay } from '@postern/node';
import { forwardBare, listening, port, relayOptions, variant } from './common.mjs';

async function bare(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const status = await forwardBare(JSON.parse(Buffer.concat(chunks).toString()));
  res.writeHead(status < 300 ? 202 : 502, { 'content-type': 'application/json' }).end('{}');
}

createServer(variant.startsWith('bare') ? bare : posternRelay(relayOptions)).listen(
  port,
  '127.0.0.1',
  listening,
);
