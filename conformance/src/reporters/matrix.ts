import type { CaseResult, Outcome, RunResult } from '../types.js';

export type Counts = Record<Outcome, number>;

export interface MatrixRow {
  relay: string;
  /** One per column, in column order. */
  cells: Counts[];
  totals: Counts;
}

export interface Matrix {
  groups: string[];
  rows: MatrixRow[];
}

const OUTCOMES: readonly Outcome[] = ['passed', 'failed', 'warned', 'skipped'];

export function emptyCounts(): Counts {
  return { passed: 0, failed: 0, warned: 0, skipped: 0 };
}

/** Cases that ran: the denominator of a cell such as `✗ 2/12`. */
export function applicable(counts: Counts): number {
  return counts.passed + counts.failed + counts.warned;
}

/** The outcome a cell is shown as: the worst one present, or null for a cell without cases. */
export function headline(counts: Counts): Outcome | null {
  if (counts.failed > 0) return 'failed';
  if (counts.warned > 0) return 'warned';
  if (counts.passed > 0) return 'passed';
  if (counts.skipped > 0) return 'skipped';
  return null;
}

/**
 * Relays × requirement groups, in the order the run declared them. A relay or group that only appears
 * in the cases is appended rather than dropped, so the matrix always accounts for every case.
 */
export function buildMatrix(result: RunResult): Matrix {
  const relays = relaysOf(result);
  const groups = withExtras(result.groups, result.cases, (c) => c.group);
  const cells = new Map<string, Counts>();
  const cell = (relay: string, group: string): Counts => {
    const key = JSON.stringify([relay, group]);
    let counts = cells.get(key);
    if (counts === undefined) {
      counts = emptyCounts();
      cells.set(key, counts);
    }
    return counts;
  };
  for (const c of result.cases) cell(c.relay, c.group)[c.outcome] += 1;
  const rows = relays.map((relay) => {
    const row = groups.map((group) => cell(relay, group));
    return { relay, cells: row, totals: sum(row) };
  });
  return { groups, rows };
}

function sum(cells: readonly Counts[]): Counts {
  const totals = emptyCounts();
  for (const counts of cells) {
    for (const outcome of OUTCOMES) totals[outcome] += counts[outcome];
  }
  return totals;
}

/** The run's relays in declared order, plus any that only appear in the cases. */
export function relaysOf(result: RunResult): string[] {
  return withExtras(result.relays, result.cases, (c) => c.relay);
}

function withExtras(
  declared: readonly string[],
  cases: readonly CaseResult[],
  key: (c: CaseResult) => string,
): string[] {
  const names = new Set(declared);
  for (const c of cases) names.add(key(c));
  return [...names];
}

const SYMBOLS: Record<Outcome, string> = { passed: '✓', failed: '✗', warned: '!', skipped: '–' };

/** A cell as plain text, e.g. `✓ 12`, `✗ 2/12` (failed of those that ran), `! 1`, `– 3` (all skipped), `·` (no cases). */
export function cellText(counts: Counts): string {
  const outcome = headline(counts);
  if (outcome === null) return '·';
  const shown =
    outcome === 'failed' ? `${counts.failed}/${applicable(counts)}` : String(counts[outcome]);
  return `${SYMBOLS[outcome]} ${shown}`;
}

export const LEGEND = '✓ passed  ✗ failed/ran  ! warned (SHOULD)  – skipped  · no cases';
