import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createProgressPrinter } from './progress.js';
import { renderConsole } from './reporters/console.js';
import { writeReports } from './reporters/index.js';
import { runConformance } from './runner.js';
import { commandTarget, urlTarget, type RelayTarget } from './targets.js';

const HELP = `postern-conformance: prove a browser-telemetry relay against the Relay Contract.

Usage:
  postern-conformance --cmd "<start command>" [--name <relay>] [options]
  postern-conformance --url <relay route URL> --profile <name> --sink-port <port> [options]

A --cmd relay is started once per profile with PORT, POSTERN_PROFILE (JSON options, endpoint included),
POSTERN_PROFILE_NAME, POSTERN_UPSTREAM_URL and POSTERN_RELAY_PATH in its environment, and must listen on
127.0.0.1:$PORT. A --url relay must already run, configured as --profile says, forwarding to
http://127.0.0.1:<sink-port>/v1/events.

Options:
  --grep <sel>       run only matching cases: an id (browser/3/2), a section (browser/3), a requirement
                     (R-ORIGIN-2) or a /regex/; repeatable
  --profile <name>   run only the cases of this profile
  --strict           SHOULD-level failures fail the run
  --reports <dir>    where to write JSON, JUnit, Markdown, HTML and the badge (default: ./reports)
  --contract <dir>   a contract directory other than the one shipped with this package
  --no-color         plain console output
  -h, --help         this text
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cmd: { type: 'string' },
      name: { type: 'string' },
      url: { type: 'string' },
      'sink-port': { type: 'string' },
      grep: { type: 'string', multiple: true },
      profile: { type: 'string' },
      strict: { type: 'boolean', default: false },
      reports: { type: 'string', default: 'reports' },
      contract: { type: 'string' },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || (!values.cmd && !values.url)) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  let target: RelayTarget;
  if (values.cmd) target = commandTarget({ name: values.name ?? 'relay', command: values.cmd });
  else {
    if (!values.profile || !values['sink-port']) {
      process.stderr.write('--url needs --profile (how the relay is configured) and --sink-port (where it forwards)\n');
      return 2;
    }
    target = urlTarget(values.name ?? 'relay', values.url as string);
  }
  const result = await runConformance({
    targets: [target],
    grep: values.grep,
    profile: values.profile,
    strict: values.strict,
    sinkPort: values['sink-port'] ? Number(values['sink-port']) : undefined,
    contractDir: values.contract ? resolve(values.contract) : undefined,
    onProgress: createProgressPrinter(),
  });
  const written = await writeReports(result, resolve(values.reports));
  process.stdout.write(renderConsole(result, { color: !values['no-color'] && process.stdout.isTTY === true }));
  process.stdout.write(`\nReports: ${written.length} files in ${resolve(values.reports)}\n`);
  return result.summary.failed > 0 || result.summary.total === 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`postern-conformance: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
