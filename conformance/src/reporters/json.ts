import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CaseResult, RunResult } from '../types.js';

/** A case in `index.json`: everything but the captured exchanges, which live in the case's own file. */
export type IndexedCase = Omit<CaseResult, 'exchanges'> & { file: string };

export type JsonIndex = Omit<RunResult, 'cases'> & { cases: IndexedCase[] };

/**
 * Where a case's full result goes, relative to the report directory and always with `/`:
 * `cases/<relay>/<id with '/' replaced by '_'>.json`. Other characters that cannot be in a file name on
 * some system are replaced too, and an all-dots name is prefixed, so no name can leave its directory.
 */
export function caseFile(c: Pick<CaseResult, 'relay' | 'id'>): string {
  return `cases/${fileSegment(c.relay)}/${fileSegment(c.id)}.json`;
}

function fileSegment(name: string): string {
  const safe = name.replace(/[/\\<>:"|?*\u0000-\u001F]/g, '_');
  return /^\.*$/.test(safe) ? `_${safe}` : safe;
}

/** `index.json`: the run without exchanges, so it stays small enough to read whole. */
export function buildIndex(result: RunResult): JsonIndex {
  return {
    ...result,
    cases: result.cases.map(({ exchanges: _exchanges, ...rest }) => ({
      ...rest,
      file: caseFile(rest),
    })),
  };
}

/** Writes `dir/index.json` and one file per case (see {@link caseFile}); returns the paths written. */
export async function writeJsonReports(result: RunResult, dir: string): Promise<string[]> {
  const index = buildIndex(result);
  const seen = new Map<string, string>();
  for (const c of index.cases) {
    const other = seen.get(c.file);
    // Two ids that map to one file name would silently overwrite each other's evidence.
    if (other !== undefined)
      throw new Error(
        `Cases "${other}" and "${c.relay}/${c.id}" would both be written to ${c.file}.`,
      );
    seen.set(c.file, `${c.relay}/${c.id}`);
  }

  const paths: string[] = [];
  const write = async (file: string, value: unknown): Promise<void> => {
    const path = join(dir, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
    paths.push(path);
  };
  await write('index.json', index);
  for (const c of result.cases) await write(caseFile(c), c);
  return paths;
}
