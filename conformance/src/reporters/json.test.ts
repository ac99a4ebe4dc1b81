import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { caseFile, writeJsonReports } from './json.js';
import { resultOf, sampleResult } from './sample-result.test-helper.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'postern-json-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('caseFile', () => {
  it('replaces slashes in ids and keeps names inside their directory', () => {
    expect(caseFile({ relay: 'express', id: 'ORIGIN/foreign' })).toBe(
      'cases/express/ORIGIN_foreign.json',
    );
    expect(caseFile({ relay: '..', id: '../../etc/passwd' })).toBe(
      'cases/_../.._.._etc_passwd.json',
    );
  });
});

describe('writeJsonReports', () => {
  it('writes an index without exchanges and a full file per case', async () => {
    const dir = await tempDir();
    const result = sampleResult();
    const written = await writeJsonReports(result, dir);
    expect(written).toHaveLength(1 + result.cases.length);
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8'));
    expect(index.summary).toEqual(result.summary);
    expect(index.cases).toHaveLength(result.cases.length);
    for (const [position, entry] of index.cases.entries()) {
      expect(entry).not.toHaveProperty('exchanges');
      const full = JSON.parse(await readFile(join(dir, entry.file), 'utf8'));
      expect(full).toEqual(result.cases[position]);
    }
    const failed = JSON.parse(
      await readFile(join(dir, 'cases/express/ORIGIN_foreign.json'), 'utf8'),
    );
    expect(failed.exchanges[0].response.body).toBe('<script>alert("owned")</script>');
  });

  it('refuses to let two cases overwrite one file', async () => {
    const [first] = sampleResult().cases;
    const clash = resultOf([
      { ...first!, id: 'A/b' },
      { ...first!, id: 'A_b' },
    ]);
    await expect(writeJsonReports(clash, await tempDir())).rejects.toThrow(/both be written/);
  });
});
