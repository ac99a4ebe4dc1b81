// Serves one mutant as its own process, the way `--cmd` starts a relay written in any language:
// node conformance/mutants/serve.mjs <mutant name>, with PORT, POSTERN_PROTOCOL and POSTERN_PROFILE in the environment.
import { mutants } from './index.mjs';

const mutant = mutants.find((candidate) => candidate.name === process.argv[2]);
if (!mutant) {
  console.error(
    `unknown mutant "${process.argv[2]}"; one of: ${mutants.map((candidate) => candidate.name).join(', ')}`,
  );
  process.exit(2);
}
mutant
  .createServer(JSON.parse(process.env.POSTERN_PROFILE), {
    protocol: process.env.POSTERN_PROTOCOL ?? 'browser',
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
