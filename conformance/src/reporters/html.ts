import type { CaseResult, RunResult } from '../types.js';
import { caseAnchor, failureList, formatDuration, renderCase } from './html-case.js';
import { HTML_STYLE } from './html-style.js';
import { buildMatrix, cellText, headline, LEGEND, type Counts } from './matrix.js';
import { escapeMarkup as h, requirementList } from './text.js';

/**
 * One self-contained page: no scripts, no external assets, so it can be opened from a CI artifact or
 * `file://` as is. Failures come first; every case follows, grouped by relay, with what was sent and received.
 */
export function renderHtml(result: RunResult): string {
  const { summary } = result;
  const conformant = summary.failed === 0;
  const title = `Relay Contract ${result.contract.version}: ${conformant ? 'conformant' : `${summary.failed} failed`}`;
  const requirements = new Map(
    result.requirements.map((requirement) => [requirement.id, requirement]),
  );
  // Positions in the run give every case a safe, unique anchor.
  const indexed = result.cases.map((c, position) => ({ c, position }));
  const matrix = buildMatrix(result);

  const relaySections = matrix.rows.map((row, index) => {
    const cases = indexed.filter(({ c }) => c.relay === row.relay);
    return `<section id="${relayAnchor(index)}"><h2>${h(row.relay)} <small>${tally(row.totals)}</small></h2>
${cases.map(({ c, position }) => renderCase(c, position, requirements)).join('')}</section>`;
  });

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${h(title)}</title>
<style>${HTML_STYLE}</style>
</head>
<body>
<header>
<h1>Relay Contract ${h(result.contract.version)} <span class="pill ${conformant ? 'passed' : 'failed'}">${conformant ? 'conformant' : 'not conformant'}</span></h1>
<p class="meta">${h(result.runner.name)} ${h(result.runner.version)} · ${matrix.rows.length} relay${matrix.rows.length === 1 ? '' : 's'} · ${summary.total} cases · started ${h(result.startedAt)} · ${formatDuration(result.durationMs)}${result.strict ? ' · strict: SHOULD failures fail the run' : ''}</p>
<ul class="totals">
<li class="passed"><b>${summary.passed}</b>passed</li>
<li class="failed"><b>${summary.failed}</b>failed</li>
<li class="warned"><b>${summary.warned}</b>warned</li>
<li class="skipped"><b>${summary.skipped}</b>skipped</li>
</ul>
</header>
<main>
<section><h2>Matrix</h2>
<div class="scroll"><table class="matrix">
<thead><tr><th>Relay</th>${matrix.groups.map((group) => `<th>${h(group)}</th>`).join('')}<th>All</th></tr></thead>
<tbody>
${matrix.rows.map((row, index) => `<tr><th><a href="#${relayAnchor(index)}">${h(row.relay)}</a></th>${[...row.cells, row.totals].map(cell).join('')}</tr>`).join('\n')}
</tbody>
</table></div>
<p class="legend">${h(LEGEND)}</p>
</section>
${issues(indexed)}
${relaySections.join('\n')}
</main>
<footer>Every case's full result, exchanges included, is in <code>cases/&lt;relay&gt;/&lt;case&gt;.json</code> beside this file; <code>index.json</code> lists them.</footer>
</body>
</html>
`;
}

function relayAnchor(index: number): string {
  return `relay-${index}`;
}

function cell(counts: Counts): string {
  const title = `${counts.passed} passed, ${counts.failed} failed, ${counts.warned} warned, ${counts.skipped} skipped`;
  return `<td class="${headline(counts) ?? 'empty'}" title="${title}">${h(cellText(counts))}</td>`;
}

function tally(counts: Counts): string {
  return `${counts.passed} passed · ${counts.failed} failed · ${counts.warned} warned · ${counts.skipped} skipped`;
}

/** Failed then warned cases, each linking to its full entry below. */
function issues(cases: ReadonlyArray<{ c: CaseResult; position: number }>): string {
  const listed = [
    ...cases.filter(({ c }) => c.outcome === 'failed'),
    ...cases.filter(({ c }) => c.outcome === 'warned'),
  ];
  if (listed.length === 0)
    return '<section><h2>Failures</h2><p>None: every case that ran passed.</p></section>';
  const items = listed.map(
    ({ c, position }) =>
      `<li class="${c.outcome}"><span class="pill">${c.outcome}</span> <a href="#${caseAnchor(position)}"><b>${h(c.relay)}</b> <code>${h(c.id)}</code></a> ${h(c.description)} <span class="reqs">${h(requirementList(c.requirements))} · ${c.level}</span>${failureList(c)}</li>`,
  );
  return `<section><h2>Failures and warnings</h2><ul class="issues">${items.join('')}</ul></section>`;
}
