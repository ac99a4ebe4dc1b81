import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown.js';
import { passingResult, sampleResult } from './sample-result.test-helper.js';

describe('renderMarkdown', () => {
  const markdown = renderMarkdown(sampleResult());
  const lines = markdown.split('\n');

  it('starts with the contract version and the totals', () => {
    expect(lines[0]).toBe('# Relay Contract v1 conformance');
    expect(markdown).toContain('6 passed, 1 failed, 1 warned, 2 skipped of 10 cases');
    expect(markdown).toContain('❌ Not conformant');
    expect(renderMarkdown(passingResult())).toContain('✅ Conformant');
  });

  it('has a matrix table with a header, a separator and one row per relay', () => {
    const table = lines.filter((line) => line.startsWith('|'));
    expect(table).toHaveLength(4);
    const columns = (line: string | undefined): number => (line ?? '').split(/(?<!\\)\|/).length;
    expect(table.every((line) => columns(line) === columns(table[0]))).toBe(true);
    expect(table[0]).toBe('| Relay | ORIGIN | CORS | RATE | BODY | Total |');
    expect(table[2]).toBe('| express | ❌ 1 ✅ 1 | ✅ 1 | ⚠️ 1 | ⏭️ 1 | ❌ 1 ⚠️ 1 ✅ 2 ⏭️ 1 |');
  });

  it('lists failures with ids, requirements and messages, escaping Markdown and HTML', () => {
    const failures = markdown.slice(
      markdown.indexOf('## Failures'),
      markdown.indexOf('## Warnings'),
    );
    expect(failures).toContain('**express** `ORIGIN/foreign`');
    expect(failures).toContain('`R-ORIGIN-2`, `R-ORIGIN-1`');
    expect(failures).toContain('  - step 1: expected status 403, got 200');
    expect(failures).toContain('Rejects \\<img\\> \\& "quoted" origins␁ from foreign sites');
    expect(renderMarkdown(passingResult())).not.toContain('## Failures');
  });
});
