import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runConformance } from '../src/runner.js';
import { commandTarget, type RelayConfig } from '../src/targets.js';

const pythonDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'python');

// A target declares the profiles that cannot apply to it (a spool where there is no filesystem): their
// cases are reported as skipped with the reason, the relay is never started for them, and none counts as
// passed; the other profiles run as usual.
describe('profiles a target declares not applicable', () => {
  it('are skipped with the reason, never started, never passed', async () => {
    const python = commandTarget({
      name: 'python',
      command: 'python3 relay.py',
      cwd: pythonDir,
      notApplicable: { durable: 'no filesystem here' },
    });
    const started: string[] = [];
    const target = {
      ...python,
      start: (config: RelayConfig) => {
        started.push(config.profile);
        return python.start(config);
      },
    };
    const result = await runConformance({
      targets: [target],
      grep: ['browser/16', 'browser/2'],
      protocols: ['browser'],
    });
    const durable = result.cases.filter((c) => c.profile === 'durable');
    expect(durable.length).toBeGreaterThan(0);
    expect(
      durable.every(
        (c) =>
          c.outcome === 'skipped' && c.reason === 'does not apply to python: no filesystem here',
      ),
    ).toBe(true);
    expect(started).not.toContain('durable');
    const ran = result.cases.filter((c) => c.profile !== 'durable');
    expect(ran.length).toBeGreaterThan(0);
    expect(ran.every((c) => c.outcome === 'passed')).toBe(true);
    expect(result.summary).toMatchObject({
      skipped: durable.length,
      passed: ran.length,
      failed: 0,
    });
  });

  it('are picked by a selector too: a case id, a section or a requirement id', async () => {
    const target = commandTarget({
      name: 'python',
      command: 'python3 relay.py',
      cwd: pythonDir,
      notApplicable: { 'browser/2/1': 'one case', 'R-CORR-1': 'a requirement' },
    });
    const result = await runConformance({
      targets: [target],
      grep: ['browser/2', 'browser/13'],
      protocols: ['browser'],
    });
    const reasons = new Map(
      result.cases.map((c) => [c.id, c.outcome === 'skipped' ? c.reason : c.outcome]),
    );
    expect(reasons.get('browser/2/1')).toBe('does not apply to python: one case');
    expect(reasons.get('browser/2/2')).toBe('passed');
    const correlation = result.cases.filter((c) => c.requirements.includes('R-CORR-1'));
    expect(correlation.length).toBeGreaterThan(0);
    expect(correlation.every((c) => c.reason === 'does not apply to python: a requirement')).toBe(
      true,
    );
    expect(result.summary.failed).toBe(0);
  });
});
