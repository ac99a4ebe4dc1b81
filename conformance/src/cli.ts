import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadContract } from './contract.js';
import { init } from './init.js';
import { createProgressPrinter } from './progress.js';
import { renderConsole } from './reporters/console.js';
import { writeReports } from './reporters/index.js';
import { runConformance } from './runner.js';
import { commandTarget, urlTarget, type RelayTarget } from './targets.js';
import type { Protocol } from './types.js';

const PROTOCOLS: readonly Protocol[] = ['browser', 'sentry-tunnel'];

const HELP = `postern-conformance: prove a browser-telemetry relay against the Relay Contract.

Usage:
  postern-conformance --cmd "<start command>" [--name <relay>] [options]
  postern-conformance --url <relay route URL> --profile <name> --sink-port <port> [options]
  postern-conformance init [--name <relay>] [--cmd "<start command>"] [--dir <dir>] [--force]

A --cmd relay is started once per profile with PORT, POSTERN_PROTOCOL (browser or sentry-tunnel),
POSTERN_PROFILE (JSON options, endpoint or DSNs included), POSTERN_PROFILE_NAME, POSTERN_UPSTREAM_URL and
POSTERN_RELAY_PATH in its environment, and must listen on 127.0.0.1:$PORT. A --url relay must already run, configured as --profile says, forwarding to
http://127.0.0.1:<sink-port>/v1/events.

Options:
  --grep <sel>       run only matching cases: an id (browser/3/2), a section (browser/3), a requirement
                     (R-ORIGIN-2) or a /regex/; repeatable
  --profile <name>   run only the cases of this profile
  --protocol <p>     run only the cases of a protocol your relay speaks: browser, sentry-tunnel; repeatable
  --strict           SHOULD-level failures fail the run
  --concurrency <n>  profiles run at once, each on its own relay start and upstream (default 4; 1 to run
                     them one after another, e.g. for a relay that holds a shared resource)
  --reports <dir>    where to write JSON, JUnit, Markdown, HTML and the badge (default: ./reports)
  --contract <dir>   a contract directory other than the one shipped with this package
  --contract-version <v>
                     fail unless the contract is this version (e.g. v2): pins CI to a contract
init writes relay-harness.sh (starts your relay with the runner's environment) and
.github/workflows/relay-conformance.yml (runs the suite, keeps the reports, publishes the badge).
  --no-color         plain console output
  -h, --help         this text
`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      cmd: { type: 'string' },
      name: { type: 'string' },
      url: { type: 'string' },
      'sink-port': { type: 'string' },
      grep: { type: 'string', multiple: true },
      profile: { type: 'string' },
      protocol: { type: 'string', multiple: true },
      strict: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
      reports: { type: 'string', default: 'reports' },
      contract: { type: 'string' },
      'contract-version': { type: 'string' },
      dir: { type: 'string', default: '.' },
      force: { type: 'boolean', default: false },
      'no-color': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (positionals[0] === 'init') {
    const contract = await loadContract(values.contract ? resolve(values.contract) : undefined);
    const { written, skipped } = await init({
      dir: resolve(values.dir),
      name: values.name ?? 'my-relay',
      command: values.cmd ?? 'python3 relay.py',
      contractVersion: contract.version,
      force: values.force,
    });
    for (const file of written) process.stdout.write(`wrote ${file}\n`);
    for (const file of skipped)
      process.stdout.write(`kept ${file} (exists; --force replaces it)\n`);
    process.stdout.write(
      'Next: edit relay-harness.sh so it starts your relay, then run\n  npx @postern/conformance --cmd ./relay-harness.sh\n',
    );
    return 0;
  }
  if (positionals.length > 0) {
    process.stderr.write(`unknown command "${positionals[0]}"\n${HELP}`);
    return 2;
  }
  if (values.help || (!values.cmd && !values.url)) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  let target: RelayTarget;
  if (values.cmd) target = commandTarget({ name: values.name ?? 'relay', command: values.cmd });
  else {
    if (!values.profile || !values['sink-port']) {
      process.stderr.write(
        '--url needs --profile (how the relay is configured) and --sink-port (where it forwards)\n',
      );
      return 2;
    }
    target = urlTarget(values.name ?? 'relay', values.url as string);
  }
  if (values['contract-version']) {
    const contract = await loadContract(values.contract ? resolve(values.contract) : undefined);
    if (contract.version !== values['contract-version']) {
      process.stderr.write(
        `this runner ships contract ${contract.version}, not ${values['contract-version']}: run the @postern/conformance version that ships ${values['contract-version']}\n`,
      );
      return 2;
    }
  }
  const unknownProtocol = values.protocol?.find((name) => !PROTOCOLS.includes(name as Protocol));
  if (unknownProtocol !== undefined) {
    process.stderr.write(
      `--protocol ${unknownProtocol}: not a protocol of the contract; one of ${PROTOCOLS.join(', ')}\n`,
    );
    return 2;
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1)) {
    process.stderr.write(
      `--concurrency ${values.concurrency}: give a whole number of at least 1\n`,
    );
    return 2;
  }
  const result = await runConformance({
    targets: [target],
    grep: values.grep,
    profile: values.profile,
    ...(values.protocol ? { protocols: values.protocol as Protocol[] } : {}),
    strict: values.strict,
    ...(concurrency === undefined ? {} : { concurrency }),
    sinkPort: values['sink-port'] ? Number(values['sink-port']) : undefined,
    contractDir: values.contract ? resolve(values.contract) : undefined,
    onProgress: createProgressPrinter(),
  });
  const written = await writeReports(result, resolve(values.reports));
  process.stdout.write(
    renderConsole(result, { color: !values['no-color'] && process.stdout.isTTY === true }),
  );
  process.stdout.write(`\nReports: ${written.length} files in ${resolve(values.reports)}\n`);
  return result.summary.failed > 0 || result.summary.total === 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `postern-conformance: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 2;
  },
);
