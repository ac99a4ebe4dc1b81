import type { CaseResult, RunResult } from '../types.js';
import { buildMatrix, headline, type Counts } from './matrix.js';
import { oneLine } from './text.js';

/** A Markdown summary for pull requests and CI job pages (GitHub step summary, GitLab notes). */
export function renderMarkdown(result: RunResult): string {
  const { summary } = result;
  const verdict = summary.failed === 0 ? '✅ Conformant' : '❌ Not conformant';
  const lines = [
    `# Relay Contract ${text(result.contract.version)} conformance`,
    '',
    `**${verdict}**: ${summary.passed} passed, ${summary.failed} failed, ${summary.warned} warned, ${summary.skipped} skipped of ${summary.total} cases.`,
    '',
    `${text(result.runner.name)} ${text(result.runner.version)} · started ${text(result.startedAt)} · ${(result.durationMs / 1000).toFixed(1)} s${result.strict ? ' · strict (SHOULD failures fail the run)' : ''}`,
    '',
  ];

  const matrix = buildMatrix(result);
  lines.push(`| Relay | ${matrix.groups.map(text).join(' | ')} | Total |`);
  lines.push(`|---|${matrix.groups.map(() => ':-:|').join('')}:-:|`);
  for (const row of matrix.rows)
    lines.push(`| ${text(row.relay)} | ${row.cells.map(cell).join(' | ')} | ${cell(row.totals)} |`);
  lines.push('', '✅ passed · ❌ failed · ⚠️ warned (SHOULD-level) · ⏭️ skipped');

  section(
    lines,
    'Failures',
    result.cases.filter((c) => c.outcome === 'failed'),
  );
  section(
    lines,
    'Warnings (SHOULD-level, not failing without --strict)',
    result.cases.filter((c) => c.outcome === 'warned'),
  );
  return `${lines.join('\n')}\n`;
}

/** Every non-zero count, worst first, so a cell with one failure among twelve still shows the passes. */
function cell(counts: Counts): string {
  if (headline(counts) === null) return '–';
  const parts: string[] = [];
  if (counts.failed > 0) parts.push(`❌ ${counts.failed}`);
  if (counts.warned > 0) parts.push(`⚠️ ${counts.warned}`);
  if (counts.passed > 0) parts.push(`✅ ${counts.passed}`);
  if (counts.skipped > 0) parts.push(`⏭️ ${counts.skipped}`);
  return parts.join(' ');
}

function section(lines: string[], title: string, cases: readonly CaseResult[]): void {
  if (cases.length === 0) return;
  lines.push('', `## ${title}`, '');
  for (const c of cases) {
    const requirements = c.requirements.map(code).join(', ');
    lines.push(
      `- **${text(c.relay)}** ${code(c.id)} ${text(c.description)} (${requirements || 'no requirement'}, ${c.level})`,
    );
    for (const failure of c.failures)
      lines.push(`  - step ${failure.step}: ${text(failure.message)}`);
  }
}

/** Inline text: one line, with every character Markdown or HTML would act on backslash-escaped. */
function text(value: string): string {
  return oneLine(value).replace(/[\\`*_[\]<>|~&#!]/g, '\\$&');
}

/** A code span fenced with more backticks than the value holds in a row, so it shows any id verbatim. */
function code(value: string): string {
  const content = oneLine(value);
  const longest = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const padding = content.startsWith('`') || content.endsWith('`') ? ' ' : '';
  return `${fence}${padding}${content}${padding}${fence}`;
}
