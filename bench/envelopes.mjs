// The envelopes the tunnel rows send, as @sentry/browser sends them: an error event (about 2 KB), and a
// session replay segment (a replay_event and a 200 KB replay_recording). Each request gets a new event_id.
import { randomUUID } from 'node:crypto';

export const TUNNEL_PATH = '/postern/tunnel';

/** The DSN both tunnels allow, naming the bench's upstream (which answers every path 202). */
export function benchDsn(upstreamUrl) {
  return `http://0123456789abcdef0123456789abcdef@${new URL(upstreamUrl).host}/42`;
}

const id = () => randomUUID().replaceAll('-', '');

function envelope(dsn, items) {
  const lines = [JSON.stringify({ event_id: id(), dsn, sent_at: new Date().toISOString() })];
  for (const [header, payload] of items) {
    lines.push(JSON.stringify({ ...header, length: Buffer.byteLength(payload) }), payload);
  }
  return `${lines.join('\n')}\n`;
}

const frames = Array.from({ length: 30 }, (_, index) => ({
  filename: `https://app.example/assets/index-${index}.js`,
  function: `handler${index}`,
  lineno: 100 + index,
  colno: 12,
  in_app: true,
}));

/** An error event with a stack of 30 frames, breadcrumbs and request context. */
export function errorEnvelope(dsn) {
  const event = JSON.stringify({
    event_id: id(),
    timestamp: Date.now() / 1000,
    platform: 'javascript',
    level: 'error',
    exception: {
      values: [{ type: 'TypeError', value: 'x is undefined', stacktrace: { frames } }],
    },
    breadcrumbs: Array.from({ length: 8 }, (_, index) => ({
      category: 'ui.click',
      message: `button#checkout-${index}`,
      timestamp: Date.now() / 1000,
    })),
    request: { url: 'https://app.example/checkout', headers: { 'User-Agent': 'Mozilla/5.0' } },
    sdk: { name: 'sentry.javascript.browser', version: '11.12.0' },
  });
  return envelope(dsn, [[{ type: 'event' }, event]]);
}

const recording = 'x'.repeat(200 * 1024);

/**
 * The recording item, its header line and payload, encoded once: the load generator shares a core with the
 * upstream, and building and encoding 200 KB per request there was what limited both tunnels' rate.
 */
const recordingItem = Buffer.from(
  `${JSON.stringify({ type: 'replay_recording', length: Buffer.byteLength(recording) })}\n${recording}\n`,
);

/** A replay segment: the replay_event item (new ids every time) and a 200 KB recording, as bytes. */
export function replayEnvelope(dsn) {
  const replayEvent = JSON.stringify({
    type: 'replay_event',
    replay_id: id(),
    segment_id: 3,
    timestamp: Date.now() / 1000,
    urls: ['https://app.example/checkout'],
  });
  return Buffer.concat([
    Buffer.from(envelope(dsn, [[{ type: 'replay_event' }, replayEvent]])),
    recordingItem,
  ]);
}
