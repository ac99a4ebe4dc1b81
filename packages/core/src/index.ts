export type { Engine } from './engine.js';
export { createBrowserRelay, createRelay, type BrowserRelay } from './browser/relay.js';
export { readBodyCapped, type BodyRead } from './body.js';
export type {
  DropReason,
  EventBody,
  RelayBody,
  RelayRequest,
  RelayResponse,
  ResponseSummary,
} from './request.js';
export type {
  EventContext,
  EventHook,
  ProjectMode,
  RateLimitOptions,
  RelayLogger,
  BrowserRelayOptions,
  RelayOptions,
  SharedOptions,
  SpoolEvent,
} from './options.js';
export type { Delivery, DeliveryOutcome } from './delivery/delivery.js';
export { createDirectDelivery, type DirectDeliveryOptions } from './delivery/direct.js';
export {
  fetchTransport,
  UpstreamFailure,
  type UpstreamReply,
  type UpstreamTransport,
} from './delivery/transport.js';
export { DEFAULTS, resolveDeliverySettings, type DeliverySettings } from './options.js';
export { ERROR_CODES, EVENT_ERROR_CODES, type ErrorCode, type EventErrorCode } from './errors.js';
export { createMemoryStore, type MemoryStoreOptions } from './rate-limit/memory-store.js';
export type { RateLimitDecision, RateLimitStore } from './rate-limit/store.js';
export type { TrustProxy } from './client-ip.js';
export { matchesPath } from './path.js';
export { errorResponse } from './respond.js';
export {
  answerWebRequest,
  cloudflareClientAddress,
  createWebHandler,
  toWebResponse,
  vercelClientAddress,
  type WebClientAddress,
  type WebHandler,
  type WebRequestParts,
} from './web.js';
export { VERSION } from './version.js';
export {
  createTunnel,
  TUNNEL_DEFAULTS,
  type MirrorResult,
  type Tunnel,
  type TunnelOptions,
  type TunnelRoute,
} from './tunnel/index.js';
export type { InFlightView } from './tunnel/budget.js';
export { ITEM_TYPES, type DroppedItems, type TunnelItemOptions } from './tunnel/item-rules.js';
export type { EventFilters } from './tunnel/event-filter.js';
export type { ServerContext } from './tunnel/enrich.js';
export { managedTunnelPath } from './tunnel/managed-paths.js';
export { compileScrubber, type Scrubber } from './scrub/scrubber.js';
export type { ScrubMethod, ScrubOptions, ScrubRule } from './scrub/options.js';
export { createMemoryDedupStore, type MemoryDedupStoreOptions } from './dedup/memory-store.js';
export type { DedupStore } from './dedup/store.js';
