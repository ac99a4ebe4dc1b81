// Runs inside a fresh app that installed the packed tarballs: mounts every adapter the way its README says,
// sends one valid batch through each, and prints one JSON line per adapter. Nothing here resolves to the
// workspace, only to this app's node_modules.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ORIGIN = 'https://app.example';
// One event in DebugBundle's format, as its browser SDK sends a route change.
const batch = JSON.stringify({
  batch: [
    {
      schema_version: '2026-03-01',
      event_id: randomUUID(),
      event_type: 'frontend_breadcrumb',
      sdk_name: '@debugbundle/sdk-browser',
      sdk_version: '1.4.0',
      service: {
        name: 'checkout-web',
        runtime: 'browser',
        framework: null,
        environment: 'production',
      },
      occurred_at: new Date().toISOString(),
      correlation: { request_id: null, trace_id: null, session_id: null, user_id_hash: null },
      payload: {
        breadcrumb_type: 'route_change',
        route: '/checkout',
        data: { route: '/checkout' },
      },
    },
  ],
});

function listen(server) {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(server.address().port)),
  );
}

// The upstream the relays forward to, from the packed @postern/conformance: records deliveries, answers 202.
const { startUpstream } = await import('@postern/conformance');
const upstream = await startUpstream();
const options = {
  projectToken: 'srv-smoke-token',
  allowedOrigins: [ORIGIN],
  endpoint: `${upstream.url}/v1/events`,
};

const request = (url) =>
  new Request(url, {
    method: 'POST',
    headers: { origin: ORIGIN, 'content-type': 'application/json' },
    body: batch,
  });

async function overHttp(server) {
  const port = await listen(server);
  try {
    return await fetch(request(`http://127.0.0.1:${port}/debugbundle/browser`));
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

const mounts = {
  async node() {
    const { posternRelay } = await import('@postern/node');
    return overHttp(createServer(posternRelay(options)));
  },
  async express() {
    const { default: express } = await import('express');
    const { posternRelay } = await import('@postern/express');
    const app = express();
    app.use('/debugbundle/browser', posternRelay(options));
    return overHttp(createServer(app));
  },
  async fastify() {
    const { default: Fastify } = await import('fastify');
    const { posternRelay } = await import('@postern/fastify');
    const app = Fastify();
    await app.register(posternRelay, options);
    await app.ready();
    return overHttp(app.server);
  },
  async hono() {
    const { Hono } = await import('hono');
    const { createAdaptorServer } = await import('@hono/node-server');
    const { getConnInfo } = await import('@hono/node-server/conninfo');
    const { posternRelay } = await import('@postern/hono');
    const app = new Hono();
    app.all('/debugbundle/browser', posternRelay({ ...options, getConnInfo }));
    return overHttp(createAdaptorServer({ fetch: app.fetch }));
  },
  async next() {
    // What Next.js does with a route module's exports: call the one named after the method.
    const { posternRelay } = await import('@postern/next');
    const route = posternRelay({ ...options, peerAddress: '127.0.0.1' });
    return route.POST(request('http://127.0.0.1/debugbundle/browser'));
  },
  async sveltekit() {
    // adapter-node's request path: SvelteKit's own Node bridge, then the handle hook.
    const { getRequest, setResponse } = await import('@sveltejs/kit/node');
    const { posternRelayHandle } = await import('@postern/sveltekit');
    const handle = posternRelayHandle(options);
    return overHttp(
      createServer(async (req, res) => {
        const webRequest = await getRequest({ request: req, base: 'http://127.0.0.1' });
        const event = {
          request: webRequest,
          url: new URL(webRequest.url),
          getClientAddress: () => req.socket.remoteAddress,
        };
        await setResponse(
          res,
          await handle({ event, resolve: async () => new Response('not found', { status: 404 }) }),
        );
      }),
    );
  },
};

for (const [name, mount] of Object.entries(mounts)) {
  const before = upstream.received.length;
  const response = await mount();
  const cjsExports = Object.keys(require(`@postern/${name}`)).sort();
  console.log(
    JSON.stringify({
      name,
      status: response.status,
      body: await response.json(),
      delivered: upstream.received.length - before,
      cjsExports,
    }),
  );
}
await upstream.close();
