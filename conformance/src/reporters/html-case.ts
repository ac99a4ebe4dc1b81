import type {
  CapturedExchange,
  CapturedUpstreamRequest,
  CaseResult,
  Requirement,
} from '../types.js';
import { caseFile } from './json.js';
import { escapeMarkup as h, requirementList } from './text.js';

/** Longer bodies are cut in the page; the case's JSON file keeps them whole. */
const BODY_LIMIT = 16_000;

/** The anchor of a case, by its position in the run, so any id (spaces, slashes, unicode) links safely. */
export function caseAnchor(position: number): string {
  return `case-${position}`;
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** One case as a `<details>`, open when it failed so the evidence is visible without a click. */
export function renderCase(
  c: CaseResult,
  position: number,
  requirements: ReadonlyMap<string, Requirement>,
): string {
  const failedNow = c.outcome === 'failed';
  const file = caseFile(c);
  const facts = [
    fact('Requirements', requirementItems(c, requirements)),
    fact('Profile', `<code>${h(c.profile)}</code>`),
    c.reason === undefined ? '' : fact('Skipped because', h(c.reason)),
    fact('Full result', `<a href="${h(encodePath(file))}"><code>${h(file)}</code></a>`),
  ].join('');
  const failures =
    c.failures.length === 0
      ? ''
      : `<h3>${c.outcome === 'warned' ? 'Warnings' : 'Failures'}</h3>${failureList(c)}`;
  const exchanges =
    c.exchanges.length === 0
      ? ''
      : `<h3>Exchanges (${c.exchanges.length})</h3>${c.exchanges.map((exchange, index) => renderExchange(exchange, index, failedNow, file)).join('')}`;
  return `<details class="case ${c.outcome}" id="${caseAnchor(position)}"${failedNow ? ' open' : ''}>
<summary><span class="pill">${c.outcome}</span> <code>${h(c.id)}</code> <span class="desc">${h(c.description)}</span> <span class="reqs">${h(requirementList(c.requirements))} · ${c.level}</span> <span class="duration">${formatDuration(c.durationMs)}</span></summary>
<div class="case-body"><dl class="facts">${facts}</dl>${failures}${exchanges}</div>
</details>
`;
}

export function failureList(c: CaseResult): string {
  return `<ol class="messages">${c.failures.map((failure) => `<li><span class="muted">step ${failure.step}:</span> ${h(failure.message)}</li>`).join('')}</ol>`;
}

function requirementItems(c: CaseResult, requirements: ReadonlyMap<string, Requirement>): string {
  if (c.requirements.length === 0) return '<span class="muted">none</span>';
  const items = c.requirements.map((id) => {
    const requirement = requirements.get(id);
    const detail =
      requirement === undefined
        ? ''
        : ` <span class="muted">${requirement.level} · §${h(requirement.section)}</span> ${h(requirement.text)}`;
    return `<li><code>${h(id)}</code>${detail}</li>`;
  });
  return `<ul>${items.join('')}</ul>`;
}

function fact(term: string, description: string): string {
  return `<dt>${term}</dt><dd>${description}</dd>`;
}

function renderExchange(
  exchange: CapturedExchange,
  index: number,
  open: boolean,
  file: string,
): string {
  const { request, response, upstream } = exchange;
  const outcome =
    response === undefined
      ? exchange.error === undefined
        ? 'no response'
        : 'error'
      : String(response.status);
  const summary = `#${index + 1} ${h(request.method)} ${h(request.url)} → ${h(outcome)} · upstream ${upstream.length}`;
  const requestPane = `<section><h3>Request sent</h3><p class="mono">${h(request.method)} ${h(request.url)}</p>${headerTable(request.headers)}${body(request.bodyPreview, request.bodyBytes, file)}</section>`;
  const responsePane =
    response === undefined
      ? `<section><h3>Response</h3><p class="muted">No response.</p></section>`
      : `<section><h3>Response</h3><p class="mono">${response.status}${response.beforeBodyEnded ? ' <span class="muted">(answered before the request body ended)</span>' : ''}</p>${headerTable(response.headers)}${body(response.body, undefined, file)}</section>`;
  const upstreamPane = `<section><h3>Upstream received (${upstream.length})</h3>${upstream.length === 0 ? '<p class="muted">Nothing reached the upstream.</p>' : upstream.map((received) => upstreamRequest(received, file)).join('')}</section>`;
  const error =
    exchange.error === undefined
      ? ''
      : `<section><h3>Error</h3><pre class="error">${h(exchange.error)}</pre></section>`;
  return `<details class="exchange"${open ? ' open' : ''}><summary>${summary}</summary><div class="panes">${requestPane}${responsePane}${upstreamPane}${error}</div></details>`;
}

function upstreamRequest(received: CapturedUpstreamRequest, file: string): string {
  return `<p class="mono">${h(received.method)} ${h(received.path)}</p>${headerTable(received.headers)}${body(received.body, received.bodyBytes, file)}`;
}

function headerTable(headers: Record<string, string>): string {
  const rows = Object.entries(headers).map(
    ([name, value]) => `<tr><th>${h(name)}</th><td class="mono">${h(value)}</td></tr>`,
  );
  return rows.length === 0
    ? '<p class="muted">No headers.</p>'
    : `<table class="kv">${rows.join('')}</table>`;
}

function body(text: string, bytes: number | undefined, file: string): string {
  const size =
    bytes === undefined
      ? ''
      : `<p class="muted">Body: ${bytes} bytes${Buffer.byteLength(text) < bytes ? ', preview shown' : ''}</p>`;
  if (text.length === 0) return `${size || '<p class="muted">Empty body.</p>'}`;
  const shown = prettyJson(text);
  const cut =
    shown.length > BODY_LIMIT
      ? `<p class="muted">… ${shown.length - BODY_LIMIT} more characters in <a href="${h(encodePath(file))}">${h(file)}</a></p>`
      : '';
  return `${size}<pre>${h(shown.slice(0, BODY_LIMIT))}</pre>${cut}`;
}

/**
 * Compact JSON bodies indented for reading, but only when that loses nothing: duplicate keys, spacing or
 * numbers JSON.parse would round are evidence, so such bodies (and truncated previews) are shown as they came.
 */
function prettyJson(text: string): string {
  if (!/^[[{]/.test(text)) return text;
  try {
    const value: unknown = JSON.parse(text);
    return JSON.stringify(value) === text ? JSON.stringify(value, null, 2) : text;
  } catch {
    return text;
  }
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
