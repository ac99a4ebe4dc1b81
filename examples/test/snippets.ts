import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * README snippets are marked `<!-- example: <path> -->` (the whole file) or `<!-- example: <path>#<region> -->`
 * (one region of it) on the line before the code block. A region is what a user copies, between
 * `// #region <name>` and `// #endregion` in the example. A region may come in parts (the imports at the
 * top of a file, the mount inside a function): the snippet is its parts in order, each without the
 * indentation its lines share, joined by a blank line. Marker lines of any region are never part of a
 * snippet.
 */
const MARKER = /<!-- example: (\S+?) -->/g;
const REGION_START = /^\s*\/\/ #region (\S+)\s*$/;
const REGION_END = /^\s*\/\/ #endregion\b/;

/** The code block on the lines right after `<!-- example: <spec> -->`: what users copy, byte-checked against the example. */
export function snippetAfterMarker(readme: string, spec: string): string | undefined {
  const marker = readme.indexOf(`<!-- example: ${spec} -->`);
  if (marker === -1) return undefined;
  const after = readme.slice(marker + `<!-- example: ${spec} -->`.length);
  return /^\s*\n```(?:js|ts)\n([\s\S]*?)```/.exec(after)?.[1];
}

/** Every `<!-- example: … -->` marker of a README, with the line it is on. */
export function exampleMarkers(readme: string): Array<{ spec: string; line: number }> {
  return [...readme.matchAll(MARKER)].map((match) => ({
    spec: match[1] as string,
    line: readme.slice(0, match.index).split('\n').length,
  }));
}

function dedent(lines: string[]): string {
  const indents = lines
    .filter((line) => line.trim() !== '')
    .map((line) => (/^ */.exec(line) as RegExpExecArray)[0].length);
  const cut = indents.length === 0 ? 0 : Math.min(...indents);
  return lines.map((line) => `${line.slice(cut)}\n`).join('');
}

/** The regions of a source file by name, each as the snippet a README shows. Throws on unbalanced markers. */
export function regionsOf(source: string, file = 'the file'): Map<string, string> {
  const parts = new Map<string, string[][]>();
  const open: Array<{ name: string; lines: string[] }> = [];
  source.split('\n').forEach((line, index) => {
    const start = REGION_START.exec(line);
    if (start) {
      const name = start[1] as string;
      if (open.some((region) => region.name === name))
        throw new Error(`${file}:${index + 1}: region ${name} opened twice`);
      open.push({ name, lines: [] });
      return;
    }
    if (REGION_END.test(line)) {
      const region = open.pop();
      if (!region) throw new Error(`${file}:${index + 1}: #endregion without #region`);
      const list = parts.get(region.name) ?? [];
      list.push(region.lines);
      parts.set(region.name, list);
      return;
    }
    for (const region of open) region.lines.push(line);
  });
  if (open.length > 0) throw new Error(`${file}: region ${open[0]?.name} is never closed`);
  return new Map([...parts].map(([name, list]) => [name, list.map(dedent).join('\n')]));
}

/** What `<!-- example: <spec> -->` stands for: the file at `path` (from the repository root), or one region of it. */
export async function exampleSnippet(root: string, spec: string): Promise<string> {
  const [path, region] = spec.split('#') as [string, string | undefined];
  const source = await readFile(join(root, path), 'utf8');
  if (region === undefined) return source;
  const text = regionsOf(source, path).get(region);
  if (text === undefined) throw new Error(`${path} has no region ${region}`);
  return text;
}
