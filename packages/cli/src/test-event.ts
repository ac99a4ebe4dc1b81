import { randomUUID } from 'node:crypto';

/** A valid browser event that says plainly where it came from, for doctor and send-test. */
export function testBatch(source: 'doctor' | 'send-test'): { eventId: string; body: string } {
  const eventId = `postern-${source}-${randomUUID()}`;
  const event = { type: 'probe_event', event_id: eventId, timestamp: new Date().toISOString(), probe: { name: `postern ${source}`, status: 'ok' } };
  return { eventId, body: JSON.stringify({ batch: [event] }) };
}
