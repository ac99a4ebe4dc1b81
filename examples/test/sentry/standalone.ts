import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForPort } from '@postern/conformance';

const BIN = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'packages',
  'cli',
  'bin',
  'postern.mjs',
);

export interface Standalone {
  port: number;
  output(): string;
  stop(): Promise<void>;
}

/** `postern serve` on `port` as its own process (the built CLI), configured through an environment variable. */
export async function startStandalone(
  port: number,
  config: Record<string, unknown>,
): Promise<Standalone> {
  let output = '';
  let exit: string | undefined;
  const child = spawn(
    process.execPath,
    [
      BIN,
      'serve',
      '--config-env',
      'POSTERN_SENTRY_E2E_CONFIG',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
    ],
    {
      env: { ...process.env, POSTERN_SENTRY_E2E_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = `postern serve exited (${code ?? signal}) before accepting connections:\n${output}`;
      resolve();
    }),
  );
  try {
    await waitForPort(port, 20_000, () => exit);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(
      `postern serve did not listen on ${port}: ${error instanceof Error ? error.message : String(error)}\n${output}`,
    );
  }
  return {
    port,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}
