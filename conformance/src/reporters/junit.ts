import type { CaseResult, Outcome, RunResult } from '../types.js';
import { relaysOf } from './matrix.js';
import { escapeMarkup, escapeXmlAttribute, requirementList } from './text.js';

/**
 * JUnit XML for CI test tabs: one `<testsuite>` per relay. A warned case is reported as skipped, since
 * JUnit has no "passed with a warning" and it must not fail the build unless the run was strict.
 */
export function renderJunit(result: RunResult): string {
  const suites = relaysOf(result).map((relay) =>
    renderSuite(
      result,
      relay,
      result.cases.filter((c) => c.relay === relay),
    ),
  );
  const { total, failed, warned, skipped } = result.summary;
  const root = attributes({
    name: `Relay Contract ${result.contract.version}`,
    tests: total,
    failures: failed,
    errors: 0,
    skipped: skipped + warned,
    time: formatSeconds(result.durationMs),
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites${root}>\n${suites.join('')}</testsuites>\n`;
}

function renderSuite(result: RunResult, relay: string, cases: readonly CaseResult[]): string {
  const count = (...outcomes: Outcome[]): number =>
    cases.filter((c) => outcomes.includes(c.outcome)).length;
  const suite = attributes({
    name: relay,
    tests: cases.length,
    failures: count('failed'),
    errors: 0,
    skipped: count('skipped', 'warned'),
    time: formatSeconds(cases.reduce((sum, c) => sum + c.durationMs, 0)),
    timestamp: result.startedAt,
  });
  const properties = [
    property('contract.version', result.contract.version),
    property('runner', `${result.runner.name} ${result.runner.version}`),
    property('strict', String(result.strict)),
  ];
  return `  <testsuite${suite}>\n    <properties>\n${properties.join('')}    </properties>\n${cases.map(renderCase).join('')}  </testsuite>\n`;
}

function renderCase(c: CaseResult): string {
  const head = `    <testcase${attributes({ classname: `${c.relay}.${c.group}`, name: `${c.id} ${c.description}`, time: formatSeconds(c.durationMs) })}`;
  const messages = c.failures.map((failure) => `step ${failure.step}: ${failure.message}`);
  const requirements = requirementList(c.requirements);
  switch (c.outcome) {
    case 'passed':
      return `${head}/>\n`;
    case 'skipped':
      return `${head}>\n      <skipped${attributes({ message: c.reason })}/>\n    </testcase>\n`;
    case 'warned': {
      const message = `SHOULD-level requirement not met (${requirements}): ${messages.join('; ')}. Run with --strict to fail on it.`;
      return `${head}>\n      <skipped${attributes({ message })}/>\n    </testcase>\n`;
    }
    case 'failed': {
      const message = `${requirements}: ${messages.length > 0 ? messages.join('; ') : 'failed'}`;
      const body = [
        `Requirements: ${requirements} (${c.level})`,
        `Profile: ${c.profile}`,
        ...messages,
      ].join('\n');
      return `${head}>\n      <failure${attributes({ message, type: c.level })}>${escapeMarkup(body)}</failure>\n    </testcase>\n`;
    }
  }
}

function property(name: string, value: string): string {
  return `      <property${attributes({ name, value })}/>\n`;
}

/** ` a="1" b="2"`, leaving out attributes without a value. */
function attributes(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${escapeXmlAttribute(String(value))}"`)
    .join('');
}

/** JUnit times are seconds. */
function formatSeconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}
