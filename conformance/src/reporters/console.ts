import type { CaseResult, Outcome, Requirement, RunResult, RunSummary } from '../types.js';
import { buildMatrix, cellText, emptyCounts, headline, LEGEND, type Counts } from './matrix.js';
import { oneLine, requirementList, visible } from './text.js';

export interface ConsoleOptions {
  color: boolean;
}

type Paint = (text: string, outcome: Outcome | 'dim' | 'bold') => string;

const SGR: Record<Outcome | 'dim' | 'bold', string> = {
  passed: '32',
  failed: '31',
  warned: '33',
  skipped: '2',
  dim: '2',
  bold: '1',
};

/**
 * The terminal report: matrix, per-relay totals, what failed and why, and last the verdict line
 * (`N passed, N failed[, N skipped]`), which stays uncoloured because CI parses it.
 */
export function renderConsole(result: RunResult, options: ConsoleOptions): string {
  const paint: Paint = options.color
    ? (text, style) => `\u001b[${SGR[style]}m${text}\u001b[0m`
    : (text) => text;
  const runner = `${result.runner.name} ${result.runner.version}`;
  const lines = [
    paint(`Relay Contract ${result.contract.version}`, 'bold') +
      paint(` · ${runner}${result.strict ? ' · strict' : ''}`, 'dim'),
    '',
  ];

  const matrix = buildMatrix(result);
  const relays = matrix.rows.map((row) => oneLine(row.relay));
  const relayWidth = Math.max(5, ...relays.map((name) => name.length));
  const widths = matrix.groups.map((group, index) =>
    Math.max(
      oneLine(group).length,
      ...matrix.rows.map((row) => cellText(row.cells[index] ?? emptyCounts()).length),
    ),
  );
  lines.push(
    [
      'relay'.padEnd(relayWidth),
      ...matrix.groups.map((group, index) => oneLine(group).padEnd(widths[index] ?? 0)),
    ]
      .join('  ')
      .trimEnd(),
  );
  matrix.rows.forEach((row, rowIndex) => {
    const cells = row.cells.map((counts, index) => paintCell(counts, widths[index] ?? 0, paint));
    lines.push([(relays[rowIndex] ?? '').padEnd(relayWidth), ...cells].join('  ').trimEnd());
  });
  lines.push(paint(LEGEND, 'dim'), '');

  for (const [index, row] of matrix.rows.entries())
    lines.push(`${(relays[index] ?? '').padEnd(relayWidth)}  ${tally(row.totals)}`);

  const spec = new Map(result.requirements.map((requirement) => [requirement.id, requirement]));
  listCases(lines, result.cases, 'failed', paint('Failures', 'bold'), paint, spec);
  listCases(
    lines,
    result.cases,
    'warned',
    paint('Warnings', 'bold') + paint(' (SHOULD-level; --strict fails on these)', 'dim'),
    paint,
    spec,
  );

  lines.push('', tally(result.summary, false));
  return `${lines.join('\n')}\n`;
}

function paintCell(counts: Counts, width: number, paint: Paint): string {
  const padded = cellText(counts).padEnd(width);
  return paint(padded, headline(counts) ?? 'dim');
}

/** `40 passed, 2 failed` plus warned (when asked) and skipped only when there are any. */
function tally(counts: RunSummary | Counts, withWarned = true): string {
  const parts = [`${counts.passed} passed`, `${counts.failed} failed`];
  if (withWarned && counts.warned > 0) parts.push(`${counts.warned} warned`);
  if (counts.skipped > 0) parts.push(`${counts.skipped} skipped`);
  return parts.join(', ');
}

/** Cases shown with their full evidence; the rest are listed by id, so a broken relay does not flood the log. */
const DETAILED_CASES = 20;
const PREVIEW = 300;

function preview(text: string): string {
  const flat = oneLine(visible(text));
  return flat.length > PREVIEW ? `${flat.slice(0, PREVIEW)}… (${flat.length} chars)` : flat;
}

/** What the runner sent and got back in the step that failed: the evidence a relay author needs. */
function evidence(
  c: CaseResult,
  step: number,
  spec: ReadonlyMap<string, Requirement>,
  paint: Paint,
): string[] {
  const out: string[] = [];
  for (const id of c.requirements) {
    const requirement = spec.get(id);
    if (requirement)
      out.push(
        paint(
          `      ${id} (${requirement.level}, SPEC §${requirement.section}): ${oneLine(requirement.text)}`,
          'dim',
        ),
      );
  }
  const exchange = c.exchanges[step - 1];
  if (!exchange) return out;
  const { request, response, upstream } = exchange;
  const headers = Object.entries(request.headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('; ');
  out.push(`      sent     ${request.method} ${oneLine(request.url)}  ${preview(headers)}`);
  if (request.bodyBytes > 0)
    out.push(`               body (${request.bodyBytes} bytes) ${preview(request.bodyPreview)}`);
  if (response) {
    const answered = Object.entries(response.headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('; ');
    out.push(`      got      ${response.status}  ${preview(answered)}`);
    if (response.body) out.push(`               body ${preview(response.body)}`);
  } else if (exchange.error) out.push(`      got      no answer: ${oneLine(exchange.error)}`);
  out.push(
    `      upstream ${upstream.length} request(s)${upstream[0] ? `; first: ${upstream[0].method} ${oneLine(upstream[0].path)} ${preview(upstream[0].body)}` : ''}`,
  );
  return out;
}

function listCases(
  lines: string[],
  cases: readonly CaseResult[],
  outcome: 'failed' | 'warned',
  title: string,
  paint: Paint,
  spec: ReadonlyMap<string, Requirement>,
): void {
  const listed = cases.filter((c) => c.outcome === outcome);
  if (listed.length === 0) return;
  lines.push('', title);
  for (const [index, c] of listed.entries()) {
    const mark = paint(outcome === 'failed' ? '✗' : '!', outcome);
    lines.push(
      `  ${mark} ${oneLine(c.relay)}  ${paint(oneLine(c.id), 'bold')}  [${oneLine(requirementList(c.requirements))}]  ${paint(oneLine(c.description), 'dim')}`,
    );
    for (const failure of c.failures) {
      // A bare CR would let a message overwrite its own line in a terminal.
      const message = visible(failure.message).replace(/\r\n?|\n/g, '\n      ');
      lines.push(`      step ${failure.step}: ${message}`);
    }
    const step = c.failures[0]?.step;
    if (index < DETAILED_CASES && step !== undefined) lines.push(...evidence(c, step, spec, paint));
  }
  if (listed.length > DETAILED_CASES)
    lines.push(
      paint(
        `  (evidence shown for the first ${DETAILED_CASES}; every case is in report.html and cases/*.json)`,
        'dim',
      ),
    );
}
