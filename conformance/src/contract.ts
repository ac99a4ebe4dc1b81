import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type {
  FixtureCase,
  FixtureFile,
  FixtureRequest,
  Level,
  Profile,
  Protocol,
  Requirement,
} from './types.js';

/** The contract as the runner uses it: SPEC requirements, profiles and every case with its file's defaults applied. */
export interface Contract {
  version: string;
  dir: string;
  requirements: Requirement[];
  profiles: Map<string, Profile>;
  cases: FixtureCase[];
  /** Validators for the wire-format schemas (`schemas/*.schema.json`) that cases may name as `bodySchema`. */
  schemas: Map<string, ValidateFunction>;
}

/** The contract shipped with this package (`conformance/` in the repository). */
export const CONTRACT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const REQUIREMENT_LINE = /^\s*[-*]\s+\*\*(R-[A-Z][A-Z0-9]*-\d+)\*\*\s+\((MUST|SHOULD)\)\s+(.+)$/;
const SECTION_HEADING = /^#{2,4}\s+(\d+(?:\.\d+)*)\.?\s/;

/** Reads requirements from SPEC.md: `- **R-ORIGIN-1** (MUST) text`, under numbered headings. */
export function parseSpec(markdown: string): {
  version: string;
  requirements: Requirement[];
  sections: Set<string>;
} {
  const version = /^#\s.*\b(v\d+)\b/m.exec(markdown)?.[1] ?? 'v1';
  const requirements: Requirement[] = [];
  const sections = new Set<string>();
  let section = '';
  for (const line of markdown.split('\n')) {
    const heading = SECTION_HEADING.exec(line);
    if (heading) {
      section = heading[1] as string;
      sections.add(section);
      continue;
    }
    const requirement = REQUIREMENT_LINE.exec(line);
    if (requirement)
      requirements.push({
        id: requirement[1] as string,
        level: requirement[2] as Level,
        text: (requirement[3] as string).trim(),
        section,
      });
  }
  return { version, requirements, sections };
}

function mergeRequest(
  defaults: FixtureRequest | undefined,
  request: FixtureRequest,
): FixtureRequest {
  if (!defaults) return request;
  const headers = { ...defaults.headers, ...request.headers };
  const hasBody = ['json', 'text', 'base64', 'generate'].some((key) => Object.hasOwn(request, key));
  const base = hasBody
    ? { ...defaults, json: undefined, text: undefined, base64: undefined, generate: undefined }
    : defaults;
  return { ...base, ...request, headers };
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function jsonFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries
    .filter((entry) => entry.endsWith('.json'))
    .sort()
    .map((entry) => join(dir, entry));
}

/** Loads and schema-checks the whole contract; any malformed fixture or profile is an error naming the file. */
export async function loadContract(
  dir: string = CONTRACT_DIR,
): Promise<
  Contract & { files: Array<{ file: string; fixture: FixtureFile }>; sections: Set<string> }
> {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  // The event schemas are what the wire-format schemas refer to (upstream-events.schema.json), by $id.
  for (const file of await jsonFiles(join(dir, 'schemas', 'events')))
    ajv.addSchema((await readJson(file)) as object);
  const schemas = new Map<string, ValidateFunction>();
  for (const file of (await readdir(join(dir, 'schemas')))
    .filter((name) => name.endsWith('.schema.json'))
    .sort()) {
    schemas.set(file, ajv.compile((await readJson(join(dir, 'schemas', file))) as object));
  }
  const validateFixture = schemas.get('fixture.schema.json') as ValidateFunction;
  const validateProfile = schemas.get('profile.schema.json') as ValidateFunction;
  const spec = parseSpec(await readFile(join(dir, 'SPEC.md'), 'utf8'));

  const profiles = new Map<string, Profile>();
  for (const file of await jsonFiles(join(dir, 'profiles'))) {
    const profile = await readJson(file);
    if (!validateProfile(profile))
      throw new Error(`${file}: ${ajv.errorsText(validateProfile.errors)}`);
    profiles.set((profile as Profile).name, profile as Profile);
  }

  const files: Array<{ file: string; fixture: FixtureFile }> = [];
  const cases: FixtureCase[] = [];
  for (const file of await jsonFiles(join(dir, 'fixtures'))) {
    const fixture = await readJson(file);
    if (!validateFixture(fixture))
      throw new Error(`${file}: ${ajv.errorsText(validateFixture.errors)}`);
    const typed = fixture as FixtureFile;
    files.push({ file, fixture: typed });
    for (const testCase of typed.cases) {
      cases.push({
        ...testCase,
        steps: testCase.steps.map((step) => ({
          ...step,
          request: mergeRequest(typed.requestDefaults, step.request),
        })),
      });
    }
  }
  return {
    version: spec.version,
    dir,
    requirements: spec.requirements,
    sections: spec.sections,
    profiles,
    cases,
    files,
    schemas,
  };
}

/** The `event_id`s a case sends in its batches. */
function sentEventIds(testCase: FixtureCase): Set<string> {
  const ids = new Set<string>();
  for (const step of testCase.steps) {
    const batch = (step.request.json as { batch?: unknown } | undefined)?.batch;
    if (!Array.isArray(batch)) continue;
    for (const item of batch) {
      const id = (item as { event_id?: unknown } | null)?.event_id;
      if (typeof id === 'string') ids.add(id);
    }
  }
  return ids;
}

/**
 * Cases of one profile share a relay, and a relay forwards an event id once (R-DELIVER-7): an id sent by
 * two cases would make the second case's upstream expectations depend on the order cases run in.
 */
function sharedEventIds(cases: readonly FixtureCase[]): string[] {
  const owner = new Map<string, string>();
  const problems: string[] = [];
  for (const testCase of cases) {
    for (const id of sentEventIds(testCase)) {
      const first = owner.get(id);
      if (first === undefined) owner.set(id, testCase.id);
      else
        problems.push(
          `${testCase.id}: sends event_id ${id}, which ${first} sends too; give each case its own ids`,
        );
    }
  }
  return problems;
}

/** The first part of a case id, by the protocol of the profile the case runs under. */
const CASE_PREFIX: Record<Protocol, string> = { browser: 'browser', 'sentry-tunnel': 'tunnel' };

/**
 * Lints the contract the way JSON-Schema-Test-Suite lints its cases: unique ids, ids that point at a
 * SPEC section, only known requirements and profiles, and every requirement cited by at least one case.
 */
export async function checkContract(dir: string = CONTRACT_DIR): Promise<string[]> {
  const contract = await loadContract(dir);
  const problems: string[] = [];
  const known = new Map(contract.requirements.map((requirement) => [requirement.id, requirement]));
  const seenRequirements = new Set<string>();
  for (const requirement of contract.requirements) {
    if (seenRequirements.has(requirement.id))
      problems.push(`SPEC.md: ${requirement.id} is defined twice`);
    seenRequirements.add(requirement.id);
  }
  const ids = new Set<string>();
  const cited = new Set<string>();
  for (const testCase of contract.cases) {
    if (ids.has(testCase.id)) problems.push(`${testCase.id}: the id is used twice`);
    ids.add(testCase.id);
    const section = testCase.id.split('/')[1] as string;
    if (!contract.sections.has(section))
      problems.push(`${testCase.id}: SPEC.md has no section ${section}`);
    const profile = contract.profiles.get(testCase.profile);
    if (!profile) problems.push(`${testCase.id}: no profile named "${testCase.profile}"`);
    else if (testCase.id.split('/')[0] !== CASE_PREFIX[profile.protocol ?? 'browser']) {
      problems.push(
        `${testCase.id}: runs under the ${profile.protocol ?? 'browser'} profile "${profile.name}", so its id must start with ${CASE_PREFIX[profile.protocol ?? 'browser']}/`,
      );
    }
    for (const step of testCase.steps) {
      const named = [
        step.expect.bodySchema,
        ...(step.expect.upstream?.requests ?? []).map((request) => request.bodySchema),
      ];
      for (const schema of named)
        if (schema !== undefined && !contract.schemas.has(schema))
          problems.push(`${testCase.id}: no schema named "${schema}"`);
    }
    for (const id of testCase.requirements) {
      cited.add(id);
      const requirement = known.get(id);
      if (!requirement) problems.push(`${testCase.id}: cites ${id}, which SPEC.md does not define`);
      else if (
        requirement.section !== section &&
        !requirement.section.startsWith(`${section}.`) &&
        testCase.requirements[0] === id
      ) {
        problems.push(
          `${testCase.id}: its first requirement ${id} is in section ${requirement.section}, not ${section}`,
        );
      }
    }
  }
  for (const requirement of contract.requirements) {
    if (!cited.has(requirement.id))
      problems.push(`${requirement.id}: no fixture cites this requirement`);
  }
  problems.push(...sharedEventIds(contract.cases));
  return problems;
}
