#!/usr/bin/env node
const args = process.argv.slice(2);
// `postern serve` listens for SIGTERM and SIGINT before it loads its modules, so a stop that comes while it
// starts (a restart, then at once a shutdown) still shuts it down gracefully once it is up.
const signalled =
  args[0] === 'serve'
    ? new Promise((resolve) => {
        process.once('SIGTERM', () => resolve('SIGTERM'));
        process.once('SIGINT', () => resolve('SIGINT'));
      })
    : undefined;
const { main } = await import('../dist/index.js');

main(args, signalled === undefined ? {} : { signalled }).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(
      `postern: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
