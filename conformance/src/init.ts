import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { CONTRACT_DIR } from './contract.js';
import { VERSION } from './version.js';

export interface InitOptions {
  dir: string;
  name: string;
  /** The relay's own start command, written into the harness. */
  command: string;
  contractVersion: string;
  force: boolean;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Fills a template: `__NAME__`-style placeholders only, so templates stay readable as the files they become. */
async function render(template: string, values: Record<string, string>): Promise<string> {
  const text = await readFile(join(CONTRACT_DIR, 'templates', template), 'utf8');
  return text.replace(/__([A-Z]+)__/g, (match, key: string) => values[key] ?? match);
}

/**
 * Scaffolds what a relay author needs to run the suite: a harness script that starts the relay with the
 * runner's environment, and a GitHub Actions workflow that runs it, keeps the reports and publishes the badge.
 * Existing files are left alone unless `force` is set.
 */
export async function init(
  options: InitOptions,
): Promise<{ written: string[]; skipped: string[] }> {
  const values = {
    NAME: options.name,
    COMMAND: options.command,
    VERSION: VERSION.split('.').slice(0, 2).join('.'),
    CONTRACT: options.contractVersion,
  };
  const files = [
    { path: join(options.dir, 'relay-harness.sh'), template: 'relay-harness.sh', executable: true },
    {
      path: join(options.dir, '.github', 'workflows', 'relay-conformance.yml'),
      template: 'relay-conformance.yml',
      executable: false,
    },
  ];
  const written: string[] = [];
  const skipped: string[] = [];
  for (const file of files) {
    const shown = relative(process.cwd(), file.path) || file.path;
    if (!options.force && (await exists(file.path))) {
      skipped.push(shown);
      continue;
    }
    await mkdir(dirname(file.path), { recursive: true });
    await writeFile(file.path, await render(file.template, values));
    if (file.executable) await chmod(file.path, 0o755);
    written.push(shown);
  }
  return { written, skipped };
}
