// Vercel's Edge runtime as its own emulator, the `edge-runtime` package on npm, runs it: a bundled script
// answering fetch events, served over HTTP on loopback for the matrix.
import { createServer } from 'node:http';
import { EdgeRuntime } from 'edge-runtime';

/**
 * Serves an Edge Function: `code` is its module bundled as an iife (`bundleWorker(entry, {}, 'iife')`), whose
 * default export answers each request, as Vercel calls it; `env` is its `process.env`. Behind
 * what Vercel's edge does for the client's address: `X-Real-IP` set to the TCP peer on every request,
 * whatever the client sent (vercel.com/docs/headers/request-headers). The body streams in, and the answer
 * goes out as soon as the handler gives it, as on the platform (the package's own `runServer` holds the
 * answer until the request body has ended).
 */
/** The request body as a Web stream; once the handler cancels it (an early 413), the rest is drained. */
function bodyOf(req) {
  let open = true;
  return new ReadableStream({
    start(controller) {
      req.on('data', (chunk) => open && controller.enqueue(new Uint8Array(chunk)));
      req.on('end', () => open && controller.close());
      req.on('error', (error) => open && controller.error(error));
    },
    cancel() {
      open = false;
      req.resume();
    },
  });
}

export async function startVercelEdge(code, env) {
  const initialCode = `globalThis.process = { env: ${JSON.stringify(env)} };\n${code}
addEventListener('fetch', (event) => event.respondWith(edgeFunction.default(event.request)));`;
  const runtime = new EdgeRuntime({ initialCode });
  const server = createServer(async (req, res) => {
    const headers = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i].toLowerCase() !== 'x-real-ip')
        headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
    }
    headers.push(['X-Real-IP', req.socket.remoteAddress]);
    const withBody = req.method !== 'GET' && req.method !== 'HEAD';
    try {
      const response = await runtime.dispatchFetch(
        `http://${req.headers.host ?? '127.0.0.1'}${req.url}`,
        {
          method: req.method,
          headers,
          ...(withBody ? { body: bodyOf(req), duplex: 'half' } : {}),
        },
      );
      res.writeHead(response.status, [...response.headers].flat());
      if (response.body) for await (const chunk of response.body) res.write(chunk);
      res.end();
    } catch {
      res.destroy();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
