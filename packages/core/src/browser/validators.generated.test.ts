import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import {
  AJV_OPTIONS,
  EVENT_TYPES,
  generateValidators,
  OUTPUT,
} from '../../scripts/generate-validators.mjs';
import { BROWSER_EVENT_SCHEMAS, COMMON_SCHEMA } from './event-types.js';
import * as generated from './validators.generated.js';

const validatorsAtBuild = { ...generated };

const fixtures = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  '..',
  'conformance',
  'fixtures',
  'browser',
);

/** Every object that stands in a `batch` of a browser fixture's requests: real SDK events and broken ones. */
async function fixtureEvents(): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [];
  for (const file of await readdir(fixtures)) {
    const text = (await readFile(join(fixtures, file), 'utf8')).replaceAll('{{run}}', '0a1b2c3d');
    for (const testCase of JSON.parse(text).cases) {
      for (const step of testCase.steps) {
        const batch = step.request?.json?.batch;
        if (Array.isArray(batch))
          for (const item of batch)
            if (item !== null && typeof item === 'object' && !Array.isArray(item))
              events.push(item);
      }
    }
  }
  return events;
}

/** The event, and variants that break or stretch it one key at a time. */
function variants(event: Record<string, unknown>): Record<string, unknown>[] {
  const out = [event, { ...event, unknown_key: 1 }];
  for (const key of Object.keys(event)) {
    const { [key]: _dropped, ...rest } = event;
    out.push(
      rest,
      { ...event, [key]: 12 },
      { ...event, [key]: 'x'.repeat(300) },
      { ...event, [key]: null },
    );
  }
  return out;
}

describe('the validators compiled at build time', () => {
  it('are what the generator makes of the contract schemas today (run `npm run generate -w @postern/core` after changing them)', async () => {
    expect(await readFile(OUTPUT, 'utf8')).toBe(generateValidators());
  });

  it('judge, report and strip exactly as Ajv compiling the schemas at run time does', async () => {
    const ajv = new Ajv2020(AJV_OPTIONS);
    ajv.addSchema(COMMON_SCHEMA);
    const events = await fixtureEvents();
    expect(events.length).toBeGreaterThan(100);
    let compared = 0;
    let passed = 0;
    for (const type of EVENT_TYPES) {
      const atRunTime = ajv.compile(
        BROWSER_EVENT_SCHEMAS[type as keyof typeof BROWSER_EVENT_SCHEMAS],
      );
      const atBuild = validatorsAtBuild[type as keyof typeof validatorsAtBuild];
      for (const event of events) {
        for (const variant of variants(event)) {
          const a = structuredClone(variant);
          const b = structuredClone(variant);
          const verdict = atRunTime(a);
          expect(atBuild(b)).toBe(verdict);
          expect(b).toEqual(a);
          expect(atBuild.errors ?? null).toEqual(atRunTime.errors ?? null);
          compared++;
          if (verdict) passed++;
        }
      }
    }
    // Both outcomes are exercised: some variants pass each schema, most fail.
    expect(passed).toBeGreaterThan(50);
    expect(compared - passed).toBeGreaterThan(1000);
  });
});
