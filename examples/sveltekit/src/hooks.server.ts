import { posternTunnelHandle } from '@postern/sveltekit';
import { tunnelOptions } from '$lib/server/postern';

// The tunnel answers its own paths before any route: /postern/tunnel, and with managedPaths the path
// Sentry.init({ dsn, tunnel: true }) derives from each DSN. Every other request goes on to the app.
export const handle = posternTunnelHandle(tunnelOptions);
