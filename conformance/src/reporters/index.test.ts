import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeReports } from './index.js';
import { sampleResult } from './sample-result.test-helper.js';

describe('writeReports', () => {
  let dir = '';
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('writes every report into a new directory and returns their paths', async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'postern-reports-')), 'nested', 'out');
    const result = sampleResult();
    const written = await writeReports(result, dir);
    const names = [
      'index.json',
      'junit.xml',
      'report.md',
      'report.html',
      'badge.svg',
      'badge.json',
    ];
    expect(written).toEqual(expect.arrayContaining(names.map((name) => join(dir, name))));
    expect(written).toHaveLength(names.length + result.cases.length);
    await Promise.all(written.map((path) => access(path)));

    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    expect(index.cases.some((c: object) => 'exchanges' in c)).toBe(false);
    expect(index.cases.every((c: { file?: unknown }) => typeof c.file === 'string')).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'badge.json'), 'utf8'))).toMatchObject({
      schemaVersion: 1,
      color: 'red',
    });
    expect(await readFile(join(dir, 'badge.svg'), 'utf8')).toMatch(/^<svg/);
    expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toMatch(/^<\?xml/);
  });
});
