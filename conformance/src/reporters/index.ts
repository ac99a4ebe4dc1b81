import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '../types.js';
import { renderBadge } from './badge.js';
import { renderHtml } from './html.js';
import { writeJsonReports } from './json.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';

export { renderBadge, type Badge, type ShieldsEndpoint } from './badge.js';
export { renderConsole, type ConsoleOptions } from './console.js';
export { renderHtml } from './html.js';
export {
  buildIndex,
  caseFile,
  writeJsonReports,
  type IndexedCase,
  type JsonIndex,
} from './json.js';
export { renderJunit } from './junit.js';
export { renderMarkdown } from './markdown.js';
export { buildMatrix, type Counts, type Matrix, type MatrixRow } from './matrix.js';

/**
 * Writes every file report of one run into `dir`: index.json and cases/ (JSON), junit.xml, report.md,
 * report.html, badge.svg and badge.json. Returns the paths written, in that order.
 */
export async function writeReports(result: RunResult, dir: string): Promise<string[]> {
  // Render everything before writing anything, so a rendering error leaves no half-written report;
  // writeJsonReports creates `dir`.
  const badge = renderBadge(result);
  const files: Array<[string, string]> = [
    ['junit.xml', renderJunit(result)],
    ['report.md', renderMarkdown(result)],
    ['report.html', renderHtml(result)],
    ['badge.svg', badge.svg],
    ['badge.json', `${JSON.stringify(badge.shields, null, 2)}\n`],
  ];
  const written = await writeJsonReports(result, dir);
  for (const [name, content] of files) {
    const path = join(dir, name);
    await writeFile(path, content);
    written.push(path);
  }
  return written;
}
