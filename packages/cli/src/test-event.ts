import { randomUUID } from 'node:crypto';
import { VERSION } from '@postern/core';

/**
 * A valid browser event in DebugBundle's format that says plainly where it came from, for doctor and
 * send-test: a probe_event labelled `postern.<source>`, with a new UUID each time, so a relay's dedup
 * (R-DELIVER-7) forwards every run.
 */
export function testBatch(source: 'doctor' | 'send-test'): { eventId: string; body: string } {
  const eventId = randomUUID();
  const event = {
    schema_version: '2026-03-01',
    event_id: eventId,
    event_type: 'probe_event',
    sdk_name: '@debugbundle/sdk-browser',
    sdk_version: VERSION,
    service: { name: 'postern', runtime: 'browser', framework: null, environment: 'test' },
    occurred_at: new Date().toISOString(),
    payload: {
      label: `postern.${source}`,
      data: { sent_by: `postern ${source}` },
      activation_id: null,
      probe_label_pattern: `postern.${source}`,
    },
  };
  return { eventId, body: JSON.stringify({ batch: [event] }) };
}
