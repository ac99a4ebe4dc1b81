// Child processes for the tests: a real redis-server and relay instances, each with its output collected.
import { spawn, type ChildProcess } from 'node:child_process';

export interface Process {
  child: ChildProcess;
  output: string[];
  waitFor(line: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function start(command: string, args: string[], env: Record<string, string> = {}): Process {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer): void => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
    for (const wake of waiters) wake();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return {
    child,
    output,
    waitFor(line, timeoutMs = 10_000) {
      const seen = output.length;
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (output.slice(seen).some((text) => text.includes(line))) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `"${line}" did not appear within ${timeoutMs} ms; output:\n${output.join('\n')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
      });
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    },
  };
}

/** A redis-server on 127.0.0.1:`port`, without persistence unless `args` turn it on. */
export async function startRedis(
  port: number,
  args: string[] = ['--save', '', '--appendonly', 'no'],
): Promise<Process> {
  const redis = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...args]);
  await redis.waitFor('Ready to accept connections');
  return redis;
}
