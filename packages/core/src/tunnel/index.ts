export { createTunnel, type Tunnel } from './tunnel.js';
export type { InFlightView } from './budget.js';
export {
  TUNNEL_DEFAULTS,
  type MirrorResult,
  type TunnelOptions,
  type TunnelRoute,
} from './options.js';
