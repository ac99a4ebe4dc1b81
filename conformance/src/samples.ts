import { randomUUID } from 'node:crypto';

/** The browser event types of the contract (SPEC section 10), in DebugBundle's envelope. */
export type BrowserEventType =
  | 'frontend_exception'
  | 'error_suppressed'
  | 'frontend_breadcrumb'
  | 'request_event'
  | 'probe_event'
  | 'analytics_event';

export type SampleEvent = Record<string, unknown> & {
  event_id: string;
  event_type: string;
  payload: Record<string, unknown>;
};

const device = {
  user_agent:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36',
  os: { name: 'Linux', version: null },
  device_type: 'desktop',
  screen: { width: 1920, height: 1080 },
  viewport: { width: 1280, height: 720 },
  device_pixel_ratio: 1,
  touch_capable: false,
  language: 'en-US',
  connection_type: '4g',
  color_scheme_preference: 'light',
};

/** Payloads shaped like what DebugBundle's browser SDK sends (compare ../shared/wire-samples in the repository). */
function payloadOf(type: BrowserEventType, at: string): Record<string, unknown> {
  switch (type) {
    case 'frontend_exception':
      return {
        name: 'TypeError',
        message: "Cannot read properties of undefined (reading 'id')",
        stack:
          "TypeError: Cannot read properties of undefined (reading 'id')\n    at renderCart (https://app.example/assets/cart.js:41:17)",
        route: '/checkout',
        browser: { name: 'Chrome', version: '150.0.0.0' },
        breadcrumbs: [
          {
            breadcrumb_type: 'click',
            route: '/checkout',
            data: { selector: 'button#pay' },
            ts: at,
          },
        ],
        device,
        browser_event: {
          kind: 'window_error',
          message: "Uncaught TypeError: Cannot read properties of undefined (reading 'id')",
          file_name: 'https://app.example/assets/cart.js',
          line_number: 41,
          column_number: 17,
          target: null,
          page: {
            url: 'https://app.example/checkout',
            referrer: null,
            ready_state: 'complete',
            visibility_state: 'visible',
          },
          opaque: false,
        },
        dom_context: null,
        probe_data: { version: 1, items: [] },
      };
    case 'error_suppressed':
      return {
        fingerprint: 'TypeError:renderCart',
        suppressed_count: 12,
        window_seconds: 60,
        first_seen: at,
        last_seen: at,
      };
    case 'frontend_breadcrumb':
      return {
        breadcrumb_type: 'route_change',
        route: '/checkout/step-2',
        data: { route: '/checkout/step-2' },
      };
    case 'request_event':
      return {
        method: 'GET',
        path: '/api/cart',
        query: {},
        headers: {},
        response_status: 500,
        duration_ms: 182,
        response_headers: { 'content-type': 'application/json' },
        response_body: { error: 'cart unavailable' },
      };
    case 'probe_event':
      return {
        label: 'checkout.render',
        data: { items: 3 },
        activation_id: null,
        probe_label_pattern: 'checkout.*',
      };
    case 'analytics_event':
      return {
        kind: 'page_view',
        privacy: { mode: 'strict', consent_granted: true },
        signal: {
          action_key: null,
          funnel_key: null,
          step_key: null,
          conversion_key: null,
          marker_key: null,
        },
        route: { path: '/checkout', normalized_path: '/checkout', title: null },
        dimensions: {
          auth_state: 'anonymous',
          device_type: 'desktop',
          browser_family: 'Chrome',
          browser_major: 150,
          os_family: null,
          os_major: null,
          language: 'en-US',
          locale: 'en-US',
          viewport_bucket: 'large',
          referrer_domain: null,
          utm_source: null,
          utm_medium: null,
          utm_campaign: null,
          country_code: null,
          region_code: null,
        },
        custom_dimensions: {},
      };
  }
}

/**
 * One valid browser event of `type` in DebugBundle's wire format, with a new `event_id` on every call;
 * `overrides` replace top-level keys (a whole `payload`, say). For tests, benchmarks and examples.
 *
 * @example
 * import { sampleEvent } from '@postern/conformance';
 *
 * const body = JSON.stringify({ batch: [sampleEvent('frontend_exception'), sampleEvent('request_event')] });
 */
export function sampleEvent(
  type: BrowserEventType,
  overrides: Record<string, unknown> = {},
): SampleEvent {
  const at = new Date().toISOString();
  const analytics = type === 'analytics_event';
  return {
    schema_version: analytics ? '2026-07-analytics-01' : '2026-03-01',
    event_id: randomUUID(),
    event_type: type,
    sdk_name: '@debugbundle/sdk-browser',
    sdk_version: analytics ? '3.1.0' : '1.4.0',
    service: {
      name: 'checkout-web',
      runtime: 'browser',
      framework: null,
      environment: 'production',
    },
    occurred_at: at,
    correlation: analytics
      ? {
          session_id: randomUUID(),
          visitor_id_hash: null,
          user_id_hash: null,
          trace_id: null,
          deploy_id: null,
        }
      : { request_id: null, trace_id: null, session_id: null, user_id_hash: null },
    payload: payloadOf(type, at),
    ...overrides,
  } as SampleEvent;
}
