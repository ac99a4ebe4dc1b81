// Shared by the tests that run recheck (https://makenowjust-labs.github.io/recheck/), which decides whether a
// regex backtracks in more than linear time, the search for a match at every start position included. Its
// pure-JavaScript backend runs in this process: no JVM, no native binary, no network.
import { check, type Diagnostics, type Parameters } from 'recheck';

process.env.RECHECK_BACKEND = 'pure';

/**
 * Deterministic: no wall-clock timeouts (a busy machine must not change a verdict), only limits on the
 * characters its VM reads and on sizes, and its fixed random seed. The limits are lower than recheck's
 * defaults so that the checks take seconds; redos-review.test.ts shows they still find the kind of bug the
 * review found.
 */
export const RECHECK_PARAMS: Parameters = {
  timeout: null,
  attackTimeout: null,
  incubationTimeout: null,
  attackLimit: 1_000_000,
  maxAttackStringSize: 5_000,
  maxInitialGenerationSize: 50,
  maxIteration: 4,
  maxGenerationSize: 40,
  incubationLimit: 10_000,
  randomSeed: 0,
};

/** Hang guard for one verdict, not a timing: a verdict takes about a second (the automaton checker, a few ms). */
export const RECHECK_GUARD_MS = 60_000;

/**
 * The automaton checker first: exact, and fast. It declines a pattern whose lookarounds bear on the
 * verdict; those go to the fuzzer. recheck does not know the `d` flag, which only adds match offsets.
 */
export async function verdict(regex: RegExp): Promise<Diagnostics> {
  const flags = regex.flags.replace('d', '');
  const exact = await check(regex.source, flags, { ...RECHECK_PARAMS, checker: 'automaton' });
  return exact.status === 'unknown'
    ? check(regex.source, flags, { ...RECHECK_PARAMS, checker: 'fuzz' })
    : exact;
}

export function describeVerdict(diagnostics: Diagnostics): string {
  if (diagnostics.status === 'vulnerable')
    return `vulnerable: ${diagnostics.complexity.summary}, attack ${diagnostics.attack.pattern}`;
  if (diagnostics.status === 'unknown') return `unknown: ${diagnostics.error.kind}`;
  return `safe (${diagnostics.checker})`;
}
