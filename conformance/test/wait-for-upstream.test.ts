import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCase } from '../src/run-case.js';
import type { FixtureCase } from '../src/types.js';
import { startUpstream, type RecordingUpstream } from '../src/upstream.js';

// A relay slower than any fixed delay a fixture could guess: it forwards each POST 700 ms after it arrived,
// and answers GET with how many it has forwarded so far.
describe('a step with waitForUpstream', () => {
  let upstream: RecordingUpstream;
  let relay: Server;
  let url: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    let forwarded = 0;
    relay = createServer((req, res) => {
      if (req.method === 'DELETE') {
        forwarded = 0;
        res.end();
        return;
      }
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ forwarded }));
        return;
      }
      req.resume();
      req.on('end', () =>
        setTimeout(async () => {
          const answer = await fetch(`${upstream.url}/v1/events`, { method: 'POST', body: '{}' });
          forwarded++;
          res.writeHead(answer.status).end();
        }, 700),
      );
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/relay`;
  });
  afterAll(async () => {
    relay.closeAllConnections();
    await new Promise((resolve) => relay.close(resolve));
    await upstream.close();
  });

  const testCase = (wait: boolean): FixtureCase => ({
    id: 'test/1/1',
    requirements: ['R-TEST-1'],
    description: 'the second step is sent once the first reached the upstream',
    profile: 'test',
    steps: [
      { background: true, request: { json: {} }, expect: { status: 202 } },
      {
        ...(wait ? { waitForUpstream: 1 } : {}),
        request: { method: 'GET' },
        expect: { status: 200, json: { forwarded: 1 } },
      },
    ],
  });
  const places = { upstream: '127.0.0.1:9', unreachable: '127.0.0.1:9', run: '00000000' };

  it('is sent only after the upstream received that many requests in the case', async () => {
    await fetch(url, { method: 'DELETE' });
    const run = await runCase(testCase(true), url, upstream, new Map(), places);
    expect(run.failures).toEqual([]);
  });

  it('without it the same step runs ahead of the relay (what the wait is for)', async () => {
    await fetch(url, { method: 'DELETE' });
    const run = await runCase(testCase(false), url, upstream, new Map(), places);
    expect(run.failures.map((failure) => failure.message).join('\n')).toContain('forwarded');
  });
});
