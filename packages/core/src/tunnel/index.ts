export { createTunnel } from './tunnel.js';
export { TUNNEL_DEFAULTS, type MirrorResult, type TunnelOptions, type TunnelRoute } from './options.js';
