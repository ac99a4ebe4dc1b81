#!/usr/bin/env node
// Lints the contract itself: schema-valid fixtures and profiles, unique ids, every SPEC requirement cited.
import { checkContract, loadContract } from '../dist/index.js';

const problems = await checkContract();
if (problems.length > 0) {
  for (const problem of problems) console.error(`✗ ${problem}`);
  console.error(`${problems.length} problem(s) in the contract`);
  process.exit(1);
}
const contract = await loadContract();
console.log(
  `contract ${contract.version}: ${contract.requirements.length} requirements, ${contract.cases.length} cases, ${contract.profiles.size} profiles, all cited`,
);
