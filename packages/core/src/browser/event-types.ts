import analyticsEvent from '../../../../conformance/schemas/events/analytics_event.schema.json' with {
  type: 'json',
};
import common from '../../../../conformance/schemas/events/common.schema.json' with {
  type: 'json',
};
import errorSuppressed from '../../../../conformance/schemas/events/error_suppressed.schema.json' with {
  type: 'json',
};
import frontendBreadcrumb from '../../../../conformance/schemas/events/frontend_breadcrumb.schema.json' with {
  type: 'json',
};
import frontendException from '../../../../conformance/schemas/events/frontend_exception.schema.json' with {
  type: 'json',
};
import probeEvent from '../../../../conformance/schemas/events/probe_event.schema.json' with {
  type: 'json',
};
import requestEvent from '../../../../conformance/schemas/events/request_event.schema.json' with {
  type: 'json',
};

/** The contract's schemas are the single source: core bundles them from `conformance/schemas/events/`. */
export const COMMON_SCHEMA = common;
export const BROWSER_EVENT_SCHEMAS = {
  frontend_exception: frontendException,
  error_suppressed: errorSuppressed,
  frontend_breadcrumb: frontendBreadcrumb,
  request_event: requestEvent,
  probe_event: probeEvent,
  analytics_event: analyticsEvent,
} as const;

export type BrowserEventType = keyof typeof BROWSER_EVENT_SCHEMAS;

/** Types only a server SDK may send (DebugBundle's ingestion knows them); a browser claiming one is refused by name, not as merely unknown. */
export const SERVER_ONLY_EVENT_TYPES: ReadonlySet<string> = new Set([
  'backend_exception',
  'log_event',
  'deploy_metadata',
]);

export function isBrowserEventType(type: string): type is BrowserEventType {
  return Object.hasOwn(BROWSER_EVENT_SCHEMAS, type);
}

/** The correlation keys each type's schema lists (SPEC R-CORR-1). */
export const CORRELATION_KEYS = Object.fromEntries(
  Object.entries(BROWSER_EVENT_SCHEMAS).map(([type, schema]) => {
    const correlation = schema.properties.correlation;
    return [
      type,
      Object.keys(
        'properties' in correlation ? correlation.properties : common.$defs.correlation.properties,
      ),
    ];
  }),
) as unknown as Record<BrowserEventType, readonly string[]>;
