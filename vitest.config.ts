import { defineConfig } from 'vitest/config';

// The project runs on Node 22 or 24 LTS; npm scripts get Node 24 from the `node` devDependency, whose
// binary sits ahead of the system Node on PATH. Fail loudly if that broke rather than test another Node.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 22 && major !== 24) {
  throw new Error(
    `Tests are running on Node ${process.version}; expected 22 or 24 LTS from the "node" devDependency. Run "npm install" again.`,
  );
}

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'conformance/src/**/*.test.ts',
      'conformance/test/**/*.test.ts',
      'examples/test/**/*.test.ts',
      // What an app team writes in its own repository: the contract in its test suite.
      'examples/*/*.contract.test.mjs',
    ],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
