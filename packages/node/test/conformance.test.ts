import { createServer } from 'node:http';
import { loadContract, renderConsole, runConformance, serverTarget } from '@postern/conformance';
import { describe, expect, it } from 'vitest';
import {
  posternRelay,
  posternTunnel,
  type NodeRelayOptions,
  type NodeTunnelOptions,
} from '../src/index.js';

describe('@postern/node against the Relay Contract', () => {
  it('passes every fixture on a real node:http server', async () => {
    const contract = await loadContract();
    const result = await runConformance({
      targets: [
        serverTarget('node', (options, config) =>
          createServer(
            config.protocol === 'sentry-tunnel'
              ? posternTunnel(options as unknown as NodeTunnelOptions)
              : posternRelay(options as unknown as NodeRelayOptions),
          ),
        ),
      ],
    });
    expect(result.summary.total).toBe(contract.cases.length);
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);
    expect(result.summary.passed).toBe(contract.cases.length);
  });
});
