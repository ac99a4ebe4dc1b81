// The Sentry tunnel rows: Postern's tunnel (`@postern/node`) against Sentry's own `handleTunnelRequest`
// (`@sentry/core`), each the whole node:http server, forwarding to the same upstream (VARIANT `postern` or
// `sentry`). Postern's also checks the origin, rate-limits and caps the size while the body streams.
import { createServer } from 'node:http';
import { handleTunnelRequest } from '@sentry/core';
import { posternTunnel } from '@postern/node';
import { benchDsn, TUNNEL_PATH } from '../envelopes.mjs';
import { listening, port, upstream, variant } from './common.mjs';

const dsn = benchDsn(upstream);

const handler =
  variant === 'sentry'
    ? (req, res) => handleTunnelRequest(req, res, { allowedDsns: [dsn] })
    : posternTunnel({
        dsns: [dsn],
        allowedOrigins: ['https://app.example'],
        rateLimit: { limit: 1_000_000_000, windowMs: 60_000 },
        path: TUNNEL_PATH,
      });

createServer(handler).listen(port, '127.0.0.1', listening);
