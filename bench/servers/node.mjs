import { createServer } from 'node:http';
import { posternRelay } from '@postern/node';
import { forwardBare, listening, port, relayOptions, spoolOptions, variant } from './common.mjs';

async function bare(req, res) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const status = await forwardBare(JSON.parse(Buffer.concat(chunks).toString()));
  res.writeHead(status < 300 ? 202 : 502, { 'content-type': 'application/json' }).end('{}');
}

/** The floor Node's own HTTP handling sets: an empty 204, the body left unread (as a refusal leaves it). */
function empty(_req, res) {
  res.writeHead(204).end();
}

const handler =
  variant === 'empty-204'
    ? empty
    : variant.startsWith('bare')
      ? bare
      : posternRelay({ ...relayOptions, ...(await spoolOptions()) });

createServer(handler).listen(port, '127.0.0.1', listening);
