import { loadContract, renderConsole, runConformance } from '@postern/conformance';
import { describe, expect, it } from 'vitest';
import { standaloneRedisTarget, standaloneTarget } from '../../../examples/targets.mjs';

describe('postern serve against the Relay Contract', () => {
  it('passes every fixture as a separate process configured from the profile (black-box mode)', async () => {
    const contract = await loadContract();
    const result = await runConformance({ targets: [standaloneTarget()] });
    expect(result.summary.total).toBe(contract.cases.length);
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);
  }, 180_000);

  it('passes the durable-delivery cases (section 16) with its spool in Redis', async () => {
    const contract = await loadContract();
    const durable = contract.cases.filter((testCase) => testCase.id.startsWith('browser/16/'));
    const result = await runConformance({
      targets: [standaloneRedisTarget()],
      grep: ['browser/16'],
    });
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);
    expect(result.summary.passed).toBe(durable.length);
  }, 120_000);
});
