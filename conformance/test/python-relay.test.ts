import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderConsole } from '../src/reporters/console.js';
import { loadContract } from '../src/contract.js';
import { runConformance } from '../src/runner.js';
import { commandTarget } from '../src/targets.js';

const pythonDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'python');

// The suite is language-agnostic: a relay in Python's standard library, started as a black box, passes it;
// a copy of that relay with two deliberate bugs does not, and fails exactly where the bugs are.
describe('the Python reference relay (black-box mode)', () => {
  it('passes every browser-batch fixture', async () => {
    const contract = await loadContract();
    const result = await runConformance({
      targets: [commandTarget({ name: 'python', command: 'python3 relay.py', cwd: pythonDir })],
      protocols: ['browser'],
    });
    expect(result.summary.total).toBe(
      contract.cases.filter((testCase) => testCase.id.startsWith('browser/')).length,
    );
    expect(result.summary.failed, renderConsole(result, { color: false })).toBe(0);
  });

  it('catches the deliberately broken copy where its bugs are, and only there', async () => {
    const result = await runConformance({
      targets: [
        commandTarget({
          name: 'python-broken',
          command: 'python3 broken_relay.py',
          cwd: pythonDir,
        }),
      ],
      grep: ['browser/3', 'browser/5', 'browser/10', 'browser/14'],
    });
    const failed = new Set(result.cases.filter((c) => c.outcome === 'failed').map((c) => c.id));
    for (const id of [
      'browser/3/3',
      'browser/3/4',
      'browser/3/5',
      'browser/3/7',
      'browser/3/15',
      'browser/3/20',
      'browser/5/1',
    ])
      expect(failed, id).toContain(id);
    // Sections the bugs do not touch still pass: the failures point at the bugs, not at noise. The one
    // exception is browser/14/13, which sends a batch from a foreign origin first (it must be refused, so it
    // is not remembered as delivered): the copy that lets every origin in forwards it there and then.
    expect(
      [...failed].filter((id) => id.startsWith('browser/10/') || id.startsWith('browser/14/')),
    ).toEqual(['browser/14/13']);
    expect(result.summary.passed).toBeGreaterThan(15);
  });
});
