import { sampleEvent } from '@postern/conformance';

// A batch like the ones DebugBundle's browser SDK sends: an exception with device, browser_event and
// breadcrumbs, a failed request and four breadcrumbs (about 4.5 KB). Every request gets new event ids, as
// real traffic does: the relay forwards an id once (R-DELIVER-7), so a fixed body would measure retries.
const EVENTS = [
  sampleEvent('frontend_exception'),
  sampleEvent('request_event'),
  ...Array.from({ length: 4 }, () => sampleEvent('frontend_breadcrumb')),
];
const template = JSON.stringify({
  batch: EVENTS.map((event, index) => ({ ...event, event_id: `@ID${index}@` })),
});
let sequence = 0;
/** The batch with ids no request used before: the sequence number in the last 12 hex digits of each UUID. */
export function freshBatch() {
  const base = (++sequence).toString(16).padStart(11, '0');
  return template.replace(
    /@ID(\d)@/g,
    (_match, index) => `00000000-0000-4000-8000-${index}${base}`,
  );
}
