// Deliberately broken relays: each must fail at least the named fixtures, or the suite cannot tell a
// conforming relay from a broken one. `npm test` asserts it (conformance/test/mutants.test.ts).
import { buffer, currentRequest, mutant, rewriteUpstream, withHeaders } from './mutant.mjs';

export const mutants = [
  {
    name: 'skips-origin-check',
    breaks: 'Treats every request as coming from an allowed origin.',
    expectedFailures: ['browser/3/4', 'browser/3/5', 'browser/3/7'],
    createServer: mutant({
      request: (_req, relayRequest) =>
        withHeaders(relayRequest, { origin: 'https://app.example', referer: undefined }),
    }),
  },
  {
    name: 'trusts-spoofed-x-forwarded-for',
    breaks: 'Counts requests against the leftmost X-Forwarded-For entry from any peer.',
    expectedFailures: ['browser/5/1', 'tunnel/20/4'],
    createServer: mutant({
      request: (_req, relayRequest) => ({
        ...relayRequest,
        body: relayRequest.body,
        clientAddress:
          relayRequest.header('x-forwarded-for')?.split(',')[0]?.trim() ??
          relayRequest.clientAddress,
      }),
    }),
  },
  {
    name: 'forwards-client-project-token',
    breaks: 'Lets a project_token sent by the browser replace the server token upstream.',
    expectedFailures: ['browser/11/1'],
    createServer: mutant({
      request: async (req, relayRequest, context) => {
        const bytes = await buffer(req);
        context.clientTokens = (JSON.parse(bytes.toString()).batch ?? []).map(
          (event) => event?.project_token,
        );
        return { ...relayRequest, body: bytes };
      },
      fetch: rewriteUpstream((body, context) => {
        body.events.forEach((event, index) => {
          const token = context.clientTokens[index];
          if (token) event.project_token = token;
        });
      }),
    }),
  },
  {
    name: 'accepts-log-event',
    breaks:
      'Forwards log_event, a server-only type, when a browser sends it, and counts it accepted.',
    expectedFailures: ['browser/10/6', 'browser/10/8'],
    createServer: mutant({
      request: async (req, relayRequest, context) => {
        const bytes = await buffer(req);
        context.logEvents = (JSON.parse(bytes.toString()).batch ?? []).filter(
          (event) => event?.event_type === 'log_event',
        );
        return { ...relayRequest, body: bytes };
      },
      fetch: rewriteUpstream((body, context) => {
        body.events.push(...context.logEvents);
      }),
      response: (response) => {
        const body = JSON.parse(response.body ?? '{}');
        const logs = (body.errors ?? []).filter(
          (error) => error.reason === 'event_type_server_only',
        ).length;
        if (logs === 0) return response;
        const errors = body.errors.filter((error) => error.reason !== 'event_type_server_only');
        return {
          ...response,
          status: errors.length === 0 ? 202 : response.status,
          body: JSON.stringify({
            ...body,
            accepted: body.accepted + logs,
            rejected: errors.length,
            errors,
          }),
        };
      },
    }),
  },
  {
    name: 'forwards-unknown-keys',
    breaks:
      'Forwards each event with every key the browser sent, so ingestion, which refuses unknown keys, loses it after the 202.',
    expectedFailures: ['browser/11/1', 'browser/11/2', 'browser/11/3'],
    createServer: mutant({
      request: async (req, relayRequest, context) => {
        const bytes = await buffer(req);
        context.sent = new Map(
          (JSON.parse(bytes.toString()).batch ?? [])
            .filter((event) => event?.event_id)
            .map((event) => [event.event_id, event]),
        );
        return { ...relayRequest, body: bytes };
      },
      fetch: rewriteUpstream((body, context) => {
        body.events = body.events.map((event) => {
          const {
            project_token: _token,
            project_id: _id,
            ...sent
          } = context.sent.get(event.event_id) ?? {};
          return {
            ...sent,
            sdk_name: event.sdk_name,
            service: event.service,
            project_token: event.project_token,
          };
        });
      }),
    }),
  },
  {
    name: 'keeps-client-sdk-name',
    breaks: "Forwards the sdk_name the browser claimed instead of the relay's own.",
    expectedFailures: ['browser/11/4', 'browser/11/5'],
    createServer: mutant({
      request: async (req, relayRequest, context) => {
        const bytes = await buffer(req);
        context.names = new Map(
          (JSON.parse(bytes.toString()).batch ?? []).map((event) => [
            event?.event_id,
            event?.sdk_name,
          ]),
        );
        return { ...relayRequest, body: bytes };
      },
      fetch: rewriteUpstream((body, context) => {
        for (const event of body.events)
          event.sdk_name = context.names.get(event.event_id) ?? event.sdk_name;
      }),
    }),
  },
  {
    name: 'no-credentialed-cors',
    breaks:
      'Leaves Access-Control-Allow-Credentials off, so a beacon from another origin is dropped by the browser after its preflight.',
    expectedFailures: ['browser/4/7', 'browser/4/8', 'browser/4/9'],
    createServer: mutant({
      response: (response) => {
        const { 'access-control-allow-credentials': _credentials, ...headers } = response.headers;
        return { ...response, headers };
      },
    }),
  },
  {
    name: 'forwards-retries-again',
    breaks: 'Remembers no event id, so every retry of a batch reaches the upstream again.',
    expectedFailures: [
      'browser/14/8',
      'browser/14/9',
      'browser/14/10',
      'browser/14/12',
      'browser/16/8',
    ],
    createServer: (options, config) => mutant({})({ ...options, dedupWindowMs: 0 }, config),
  },
  {
    name: 'remembers-undelivered-events',
    breaks:
      'Remembers every event id it saw, delivered or not, so a retry after a failed delivery is dropped.',
    expectedFailures: ['browser/14/11', 'browser/14/13'],
    createServer: (options, config) => {
      const seenIds = new Set();
      const dedupStore = {
        seen: (ids) => ids.map((id) => seenIds.has(id)),
        remember: () => undefined,
      };
      const relay = mutant({
        request: async (req, relayRequest, context) => {
          const bytes = await buffer(req);
          try {
            context.batch = JSON.parse(bytes.toString()).batch ?? [];
          } catch {
            context.batch = [];
          }
          return { ...relayRequest, body: bytes };
        },
        // Once a request is answered, its ids count as seen, whatever became of them.
        response: (response) => {
          for (const event of currentRequest()?.batch ?? [])
            if (event?.event_id) seenIds.add(event.event_id);
          return response;
        },
      });
      return relay({ ...options, dedupStore }, config);
    },
  },
  {
    name: 'caps-body-after-buffering',
    breaks: 'Reads the whole body into memory before checking its size.',
    expectedFailures: ['browser/8/4', 'browser/8/5'],
    createServer: mutant({
      request: async (req, relayRequest) => ({ ...relayRequest, body: await buffer(req) }),
    }),
  },
  {
    name: 'drops-valid-half-of-mixed-batch',
    breaks:
      'Forwards nothing when any event of the batch is rejected, yet reports the valid ones accepted.',
    expectedFailures: ['browser/10/8', 'browser/14/9'],
    createServer: mutant({
      request: async (req, relayRequest, context) => {
        const bytes = await buffer(req);
        context.batchLength = JSON.parse(bytes.toString()).batch?.length;
        return { ...relayRequest, body: bytes };
      },
      fetch: rewriteUpstream((body, context) =>
        body.events.length < context.batchLength ? new Response('{}', { status: 202 }) : undefined,
      ),
    }),
  },
  {
    name: 'overwrites-trace-id',
    breaks: 'Stamps its own trace_id on every forwarded event.',
    expectedFailures: ['browser/13/7', 'browser/13/8'],
    createServer: mutant({
      fetch: rewriteUpstream((body) => {
        for (const event of body.events)
          event.correlation = {
            ...event.correlation,
            trace_id: `relay-${Math.random().toString(16).slice(2)}`,
          };
      }),
    }),
  },
  {
    name: 'answers-200-instead-of-202',
    breaks: 'Answers an accepted batch with 200.',
    expectedFailures: ['browser/2/1', 'browser/10/1'],
    createServer: mutant({
      response: (response) => (response.status === 202 ? { ...response, status: 200 } : response),
    }),
  },
  {
    name: 'forwards-client-cookie',
    breaks: 'Passes the browser Cookie header on to the upstream.',
    expectedFailures: ['browser/12/1', 'browser/4/9'],
    createServer: mutant({
      fetch: (realFetch) => (url, init) => {
        const cookie = currentRequest()?.req.headers.cookie;
        return realFetch(url, {
          ...init,
          headers: cookie ? { ...init.headers, cookie } : init.headers,
        });
      },
    }),
  },
  {
    name: 'reports-accepted-when-upstream-fails',
    breaks: 'Answers 202 even when the upstream refused the delivery.',
    expectedFailures: ['browser/14/2', 'browser/14/6'],
    createServer: mutant({
      response: (response) =>
        response.status >= 500
          ? {
              ...response,
              status: 202,
              body: JSON.stringify({ accepted: 1, rejected: 0, errors: [] }),
            }
          : response,
    }),
  },
  {
    name: 'omits-vary-origin',
    breaks:
      'Leaves Vary: Origin off its answers, so caches may hand one origin’s answer to another.',
    expectedFailures: ['browser/4/1', 'browser/4/2', 'browser/4/7'],
    createServer: mutant({
      response: (response) => {
        const { vary, ...headers } = response.headers;
        return { ...response, headers };
      },
    }),
  },
  {
    name: 'tunnel-allows-any-key-on-an-allowed-host',
    breaks:
      "Checks only the host of the envelope's DSN, so any key and project on that host gets into the configured project.",
    expectedFailures: ['tunnel/19/2'],
    createServer: mutant({
      request: async (req, relayRequest, context) => {
        const bytes = await buffer(req);
        const newline = bytes.indexOf(0x0a);
        const end = newline === -1 ? bytes.length : newline;
        try {
          const header = JSON.parse(bytes.subarray(0, end).toString('utf8'));
          const claimed = new URL(header.dsn);
          const allowed = context.options.dsns
            .map((entry) => (typeof entry === 'string' ? entry : entry.dsn))
            .find((dsn) => new URL(dsn).host === claimed.host);
          if (allowed === undefined) return { ...relayRequest, body: bytes };
          const rewritten = Buffer.from(JSON.stringify({ ...header, dsn: allowed }));
          return {
            ...relayRequest,
            header: (name) => (name === 'content-length' ? undefined : relayRequest.header(name)),
            body: Buffer.concat([rewritten, bytes.subarray(end)]),
          };
        } catch {
          return { ...relayRequest, body: bytes };
        }
      },
    }),
  },
  {
    name: 'tunnel-decodes-body-as-text',
    breaks:
      'Reads the envelope as a UTF-8 string, so binary replay and attachment bytes turn into U+FFFD.',
    expectedFailures: ['tunnel/18/9', 'tunnel/20/1'],
    createServer: mutant({
      request: async (req, relayRequest) => ({
        ...relayRequest,
        header: (name) => (name === 'content-length' ? undefined : relayRequest.header(name)),
        body: (await buffer(req)).toString('utf8'),
      }),
    }),
  },
  {
    name: 'tunnel-always-200',
    breaks:
      "Answers 200 whatever the upstream said, hiding Sentry's rate limits and refusals from the SDK.",
    expectedFailures: ['tunnel/21/1', 'tunnel/21/2', 'tunnel/23/2'],
    createServer: mutant({
      response: () => ({
        status: 200,
        headers: { vary: 'Origin', 'content-type': 'application/json' },
        body: '{}',
      }),
    }),
  },
  {
    name: 'tunnel-without-a-budget',
    breaks:
      'Holds as many envelopes in flight as clients send, so a burst of gzip bombs takes the memory of every one of them.',
    expectedFailures: ['tunnel/22/8', 'tunnel/22/9', 'tunnel/22/10'],
    createServer: (options, config) =>
      mutant({})(
        { ...options, maxDecodedBytesInFlight: 1 << 30, maxDecodedBytesPerClient: 1 << 30 },
        config,
      ),
  },
  {
    name: 'tunnel-forwards-cookies',
    breaks: "Passes the browser's Cookie header on to Sentry with the envelope.",
    expectedFailures: ['tunnel/20/3'],
    createServer: mutant({
      fetch: (realFetch) => (url, init) => {
        const cookie = currentRequest()?.req.headers.cookie;
        return realFetch(url, {
          ...init,
          headers: cookie ? { ...init.headers, cookie } : init.headers,
        });
      },
    }),
  },
  {
    name: 'tunnel-managed-path-serves-any-dsn',
    breaks:
      'Forwards whatever configured DSN an envelope names, whichever managed path it was posted to.',
    expectedFailures: ['tunnel/25/8'],
    createServer: mutant({
      request: (_req, relayRequest) => ({
        ...relayRequest,
        body: relayRequest.body,
        path: undefined,
      }),
    }),
  },
  {
    name: 'tunnel-ignores-item-options',
    breaks:
      'Forwards every envelope item as it came: dropItems, allowItems, eventFilters and serverContext are read from the configuration and never applied.',
    // Not tunnel/26/8: R-ITEMS-7 is SHOULD-level, so a relay that reads no items only warns there.
    expectedFailures: [
      'tunnel/26/1',
      'tunnel/26/2',
      'tunnel/26/3',
      'tunnel/26/4',
      'tunnel/26/5',
      'tunnel/26/6',
      'tunnel/26/7',
    ],
    createServer: (options, config) =>
      mutant({})(
        {
          ...options,
          dropItems: undefined,
          allowItems: undefined,
          eventFilters: undefined,
          serverContext: undefined,
        },
        config,
      ),
  },
  {
    name: 'tunnel-keeps-the-last-of-two-dsn-keys',
    breaks:
      'Reads the envelope header with a JSON parser that keeps the last of two equal keys, and routes by that dsn without refusing the header.',
    expectedFailures: ['tunnel/18/14'],
    createServer: mutant({
      request: async (req, relayRequest) => {
        const bytes = await buffer(req);
        const newline = bytes.indexOf(0x0a);
        const end = newline === -1 ? bytes.length : newline;
        try {
          const rewritten = Buffer.from(
            JSON.stringify(JSON.parse(bytes.subarray(0, end).toString('utf8'))),
          );
          return {
            ...relayRequest,
            header: (name) => (name === 'content-length' ? undefined : relayRequest.header(name)),
            body: Buffer.concat([rewritten, bytes.subarray(end)]),
          };
        } catch {
          return { ...relayRequest, body: bytes };
        }
      },
    }),
  },
];
