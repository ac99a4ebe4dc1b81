import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

// Each adapter ships ESM and CommonJS builds through its exports map; both must load and expose the same API.
describe.each([
  ['@postern/core', 'createBrowserRelay'],
  ['@postern/node', 'posternRelay'],
  ['@postern/node', 'posternTunnel'],
  ['@postern/express', 'posternRelay'],
  ['@postern/express', 'posternTunnel'],
  ['@postern/fastify', 'posternRelay'],
  ['@postern/fastify', 'posternTunnel'],
  ['@postern/hono', 'posternRelay'],
  ['@postern/hono', 'posternTunnel'],
  ['@postern/next', 'posternRelay'],
  ['@postern/next', 'posternTunnel'],
  ['@postern/sveltekit', 'posternRelayHandle'],
  ['@postern/sveltekit', 'posternTunnel'],
  ['@postern/sveltekit', 'posternTunnelHandle'],
])('%s', (name, entry) => {
  it(`exports ${entry} from both the ESM and the CommonJS build`, async () => {
    const esm = (await import(name)) as Record<string, unknown>;
    const cjs = require(name) as Record<string, unknown>;
    expect(typeof esm[entry]).toBe('function');
    expect(typeof cjs[entry]).toBe('function');
    expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort());
    expect(require.resolve(name)).toMatch(/dist[\\/]index\.cjs$/);
  });
});
