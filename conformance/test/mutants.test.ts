import { describe, expect, it } from 'vitest';
import { mutants } from '../mutants/index.mjs';
import { runConformance } from '../src/runner.js';
import { serverTarget } from '../src/targets.js';

// Each broken relay must be caught by the fixtures it names: proof that the suite can fail.
describe('mutation proof', () => {
  it('has at least eight deliberately broken relays', () => {
    expect(mutants.length).toBeGreaterThanOrEqual(8);
  });

  it.each(mutants.map((mutant) => [mutant.name, mutant] as const))(
    '%s fails its named fixtures',
    async (_name, mutant) => {
      const result = await runConformance({
        targets: [serverTarget(mutant.name, mutant.createServer)],
        grep: mutant.expectedFailures,
      });
      expect(result.cases.map((testCase) => testCase.id).sort()).toEqual(
        [...mutant.expectedFailures].sort(),
      );
      const caught = result.cases
        .filter((testCase) => testCase.outcome === 'failed')
        .map((testCase) => testCase.id);
      expect(caught.sort(), `${mutant.name} (${mutant.breaks}) slipped through`).toEqual(
        [...mutant.expectedFailures].sort(),
      );
    },
  );
});
