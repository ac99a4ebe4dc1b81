import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'packages', 'cli', 'bin', 'postern.mjs');

export interface Standalone {
  port: number;
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

/** `postern serve` on `port` as its own process (the built CLI), configured through an environment variable. */
export async function startStandalone(port: number, config: Record<string, unknown>): Promise<Standalone> {
  let output = '';
  let exit: string | undefined;
  const child = spawn(process.execPath, [BIN, 'serve', '--config-env', 'POSTERN_SENTRY_E2E_CONFIG', '--host', '127.0.0.1', '--port', String(port)], {
    env: { ...process.env, POSTERN_SENTRY_E2E_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (exit !== undefined) throw new Error(exit);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`postern serve did not listen on ${port} within 20 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
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
