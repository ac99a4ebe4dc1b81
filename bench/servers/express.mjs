import express from 'express';
import { posternRelay } from '@postern/express';
import { forwardBare, listening, path, port, relayOptions, variant } from './common.mjs';

const app = express();
if (variant.startsWith('bare')) {
  app.post(path, express.json(), async (req, res) =>
    res.status((await forwardBare(req.body)) < 300 ? 202 : 502).json({}),
  );
} else {
  app.use(path, posternRelay(relayOptions));
}
app.listen(port, '127.0.0.1', listening);
