// `npm start`: every example relay × every fixture, the console matrix, and reports/ with the badge.
// Runs from the repository root (reports/ lands there).
import { resolve } from 'node:path';
import { createProgressPrinter, renderConsole, runConformance, writeReports } from '@postern/conformance';
import { exampleTargets } from './targets.mjs';

const reports = resolve('reports');
const result = await runConformance({ targets: exampleTargets(), onProgress: createProgressPrinter() });
const written = await writeReports(result, reports);
process.stdout.write(renderConsole(result, { color: process.stdout.isTTY === true }));
process.stdout.write(`\n${result.summary.total} cases in ${(result.durationMs / 1000).toFixed(1)} s; ${written.length} report files in ${reports} (report.html, junit.xml, report.md, badge.svg, badge.json, index.json)\n`);
process.exitCode = result.summary.failed > 0 || result.summary.total === 0 ? 1 : 0;
