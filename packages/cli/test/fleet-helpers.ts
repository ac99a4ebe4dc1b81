// The fleet test's parts, each a real program on loopback: redis-server with AOF, and nginx balancing
// over the relays, started the way an operator would (their own config files, in the foreground).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForPort } from './helpers.js';

export interface Program {
  readonly child: ChildProcess;
  output(): string;
  /** SIGKILL: no shutdown, no flush beyond what the program already did. */
  kill(): Promise<void>;
  /** SIGTERM: the program's own fast shutdown (nginx's master then stops its workers, which a SIGKILL would orphan). */
  stop(): Promise<void>;
}

function run(command: string, args: string[]): Program {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

const exitedEarly = (program: Program) => () =>
  program.child.exitCode === null && program.child.signalCode === null
    ? undefined
    : `exited early:\n${program.output()}`;

/**
 * redis-server on `port`. With `dir`, its data lives there with AOF on and fsync on every write
 * (`appendfsync always`), the setting under which an acknowledged XADD survives a kill of Redis itself, and
 * started again on the same directory it replays the AOF. Without, it keeps nothing on disk (no AOF, no
 * snapshots): what `postern doctor` warns about.
 */
export async function startRedis(port: number, dir?: string): Promise<Program> {
  const persistence =
    dir === undefined
      ? ['--appendonly', 'no']
      : ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always'];
  const redis = run('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    ...persistence,
    '--save',
    '',
  ]);
  await waitForPort(port, 10_000, exitedEarly(redis));
  return redis;
}

/**
 * nginx on `port` in front of `backends`: an `upstream` block on loopback, as a load balancer in front of a
 * fleet is set up. A backend that refuses the connection (killed, restarting) is skipped for the next one
 * (nginx's default `proxy_next_upstream error timeout`); a request cut mid-way is answered 502, not retried,
 * since POST is not idempotent.
 */
export async function startNginx(port: number, backends: number[]): Promise<Program> {
  const prefix = await mkdtemp(join(tmpdir(), 'postern-fleet-nginx-'));
  await writeFile(
    join(prefix, 'nginx.conf'),
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
pid ${prefix}/nginx.pid;
error_log stderr crit;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  upstream relays {
${backends.map((backend) => `    server 127.0.0.1:${backend} max_fails=0;`).join('\n')}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://relays;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_connect_timeout 1s;
    }
  }
}
`,
  );
  const nginx = run('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;']);
  await waitForPort(port, 10_000, exitedEarly(nginx));
  return nginx;
}
