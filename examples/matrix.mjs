// `npm start`: every example relay (the adapters', the Web runtimes' and `postern serve`) × every fixture, the console matrix, and reports/ with the badge.
// Runs from the repository root (reports/ lands there).
import { copyFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  createProgressPrinter,
  renderConsole,
  runConformance,
  writeReports,
} from '@postern/conformance';
import {
  exampleTargets,
  runtimeTargets,
  standaloneRedisTarget,
  standaloneTarget,
} from './targets.mjs';

const reports = resolve('reports');
const result = await runConformance({
  targets: [...exampleTargets(), ...runtimeTargets(), standaloneTarget(), standaloneRedisTarget()],
  onProgress: createProgressPrinter(),
});
const written = await writeReports(result, reports);
process.stdout.write(renderConsole(result, { color: process.stdout.isTTY === true }));
process.stdout.write(
  `\n${result.summary.total} cases in ${(result.durationMs / 1000).toFixed(1)} s; ${written.length} report files in ${reports} (report.html, junit.xml, report.md, badge.svg, badge.json, index.json)\n`,
);
// The README shows this run's badge, made by the same reporter relay authors use in their CI.
await copyFile(resolve(reports, 'badge.svg'), new URL('./badge.svg', import.meta.url));
process.exitCode = result.summary.failed > 0 || result.summary.total === 0 ? 1 : 0;
