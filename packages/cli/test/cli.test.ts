import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startUpstream } from '@postern/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import {
  BIN,
  freePort,
  loopbackUpstream,
  ORIGIN,
  sendBatch,
  sleep,
  startServer,
  TOKEN,
  waitForPort,
} from './helpers.js';

const run = promisify(execFile);
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'postern-cli-'));
  dirs.push(dir);
  return dir;
}

/** Runs the real bin; resolves with the exit code and output whatever the code. */
async function postern(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/**
 * A module `resolve` hook for a child node process, `body` its code (with `specifier` in scope, `writeSync`
 * imported); returns the flags that install it.
 */
async function resolveHook(body: string): Promise<string[]> {
  const dir = await tempDir();
  await writeFile(
    join(dir, 'hook.mjs'),
    `import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
${body}
  return next(specifier, context);
}
`,
  );
  const register = join(dir, 'register.mjs');
  await writeFile(
    register,
    `import { register } from 'node:module';\nregister('./hook.mjs', import.meta.url);\n`,
  );
  return ['--import', register];
}

async function configProblems(text: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  try {
    await loadConfig({ text, textSource: 'postern.yaml', env });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('configuration', () => {
  it('names the key and the fix for every problem at once, and never echoes the token', async () => {
    const problems = await configProblems(
      'port: abc\nallowedOrigin: [https://a.example]\nprojectToken: 12345\ndurableWrite: yes please\n',
    );
    expect(problems).toHaveLength(5);
    expect(problems[0]).toMatch(/port: must be a whole number, got "abc"\. Fix: set port: 3000/);
    expect(problems[1]).toMatch(
      /allowedOrigin: is not a setting\. Fix: remove it or correct the spelling/,
    );
    expect(problems[2]).toMatch(/projectToken: must be a non-empty string/);
    expect(problems.join('\n')).not.toContain('12345');
    expect(problems[3]).toMatch(/durableWrite: must be true or false/);
    expect(problems[4]).toMatch(/projectToken: is required in connected mode/);
  });

  it('asks for the token in connected mode and says where to put it', async () => {
    expect(await configProblems('durableWrite: true\n')).toEqual([
      expect.stringMatching(
        /projectToken: is required in connected mode\. Fix: export POSTERN_PROJECT_TOKEN=/,
      ),
    ]);
    expect(await configProblems('projectMode: local-only\n')).toEqual([]);
  });

  it('lets POSTERN_* variables override the file, and resolves directories against the file', async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, 'postern.yaml'),
      'port: 3000\nspoolDir: spool\nallowedOrigins: [https://a.example]\n',
    );
    const config = await loadConfig({
      file: join(dir, 'postern.yaml'),
      env: {
        POSTERN_PORT: '4100',
        POSTERN_PROJECT_TOKEN: 'tok',
        POSTERN_ALLOWED_ORIGINS: 'https://b.example, https://c.example',
      },
    });
    expect(config.port).toBe(4100);
    expect(config.relay.spoolDir).toBe(join(dir, 'spool'));
    expect(config.relay.allowedOrigins).toEqual(['https://b.example', 'https://c.example']);
  });
});

describe('postern init && postern serve', () => {
  it('writes a commented postern.yaml, refuses to overwrite it, and serves durably from it out of the box', async () => {
    const dir = await tempDir();
    const upstream = await loopbackUpstream(await freePort());
    await upstream.up();
    const port = await freePort();
    const first = await postern(
      ['init', '--origin', ORIGIN, '--endpoint', upstream.url, '--port', String(port), '--yes'],
      { cwd: dir },
    );
    expect(first.code, first.stderr).toBe(0);
    const yaml = await readFile(join(dir, 'postern.yaml'), 'utf8');
    expect(yaml).toContain('# Durable delivery');
    expect(yaml).toContain('durableWrite: true');
    expect(yaml).not.toMatch(/^projectToken:/m);
    expect(yaml).toMatch(/^adminHost: 127\.0\.0\.1$/m);
    expect(yaml).toMatch(/^adminPort: 9464$/m);
    const again = await postern(['init', '--yes'], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--force');

    // The file's adminPort (9464) is replaced by a free one, as an environment variable overrides any key.
    const adminPort = await freePort();
    const server = startServerIn(dir, port, { POSTERN_ADMIN_PORT: String(adminPort) });
    await waitForPort(port);
    await waitForPort(adminPort);
    expect((await fetch(`http://127.0.0.1:${adminPort}/readyz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(404);
    const sent = await sendBatch(`http://127.0.0.1:${port}/debugbundle/browser`, 3, 'init');
    expect(sent?.status).toBe(202);
    const deadline = Date.now() + 10_000;
    while (upstream.received.length < 3 && Date.now() < deadline) await sleep(50);
    expect(upstream.received).toEqual(sent?.ids);
    expect(
      (await readdir(join(dir, '.debugbundle', 'local', 'browser-relay-spool'))).filter((name) =>
        name.endsWith('.delivered'),
      ),
    ).toHaveLength(1);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).not.toContain(TOKEN);
    await upstream.down();
  });
});

function startServerIn(cwd: string, port: number, env: NodeJS.ProcessEnv = {}) {
  let output = '';
  const child = execFile(process.execPath, [BIN, 'serve'], {
    cwd,
    env: { ...process.env, POSTERN_PROJECT_TOKEN: TOKEN, POSTERN_PORT: String(port), ...env },
  });
  child.stdout?.on('data', (chunk: string) => (output += chunk));
  child.stderr?.on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, exited, output: () => output };
}

describe('postern doctor', () => {
  it('finds a misconfigured relay, says how to fix each problem and exits non-zero', async () => {
    const dir = await tempDir();
    const blocker = join(dir, 'not-a-directory');
    await writeFile(blocker, '');
    const closed = await freePort();
    await writeFile(
      join(dir, 'postern.yaml'),
      `endpoint: http://127.0.0.1:${closed}/v1/events\ndurableWrite: true\nspoolDir: ${join(blocker, 'spool')}\nallowedOrigins: [https://other.example]\n`,
    );
    const port = await freePort();
    const relay = startServer(port, {
      projectToken: TOKEN,
      endpoint: `http://127.0.0.1:${closed}/v1/events`,
      allowedOrigins: ['https://other.example'],
      logLevel: 'silent',
    });
    await waitForPort(port);
    const result = await postern(
      [
        'doctor',
        '--check-relay',
        '--url',
        `http://127.0.0.1:${port}/debugbundle/browser`,
        '--origin',
        ORIGIN,
      ],
      { cwd: dir, env: { POSTERN_PROJECT_TOKEN: TOKEN } },
    );
    relay.child.kill('SIGTERM');
    await relay.exited;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/✗ spoolDir: .* is not writable/);
    expect(result.stdout).toMatch(/✗ upstream reachable: .*\n\s+fix: check endpoint/);
    expect(result.stdout).toMatch(
      /✗ preflight \(R-CORS-1\): answered 403.*\n\s+fix: add https:\/\/app\.example to allowedOrigins/,
    );
    expect(result.stdout).not.toContain(TOKEN);
  });

  it('passes a healthy relay and reports every check as JSON for scripts', async () => {
    const dir = await tempDir();
    const upstream = await loopbackUpstream(await freePort());
    await upstream.up();
    const port = await freePort();
    const config = {
      projectToken: TOKEN,
      endpoint: upstream.url,
      allowedOrigins: [ORIGIN],
      durableWrite: true,
      spoolDir: join(dir, 'spool'),
      logLevel: 'silent',
    };
    await writeFile(join(dir, 'postern.yaml'), JSON.stringify(config));
    const relay = startServer(port, config);
    await waitForPort(port);
    const result = await postern(
      ['doctor', '--url', `http://127.0.0.1:${port}/debugbundle/browser`, '--json'],
      { cwd: dir },
    );
    relay.child.kill('SIGTERM');
    await relay.exited;
    await upstream.down();
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      checks: Array<{ name: string; verdict: string }>;
    };
    expect(result.code, result.stdout).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => check.name)).toEqual(
      expect.arrayContaining([
        'config',
        'spoolDir',
        'upstream reachable',
        'preflight (R-CORS-1)',
        'test batch (R-EVENT-4)',
      ]),
    );
  });
});

describe('postern clean, replay and send-test', () => {
  it('prunes by age, then replays what is left to the upstream with a result for scripts', async () => {
    const dir = await tempDir();
    const spoolDir = join(dir, 'spool');
    const upstream = await loopbackUpstream(await freePort());
    await writeFile(
      join(dir, 'postern.yaml'),
      JSON.stringify({ projectToken: TOKEN, endpoint: upstream.url, durableWrite: true, spoolDir }),
    );
    // Two batches accepted while the upstream was down, then the server stopped.
    const port = await freePort();
    const relay = startServer(port, {
      projectToken: TOKEN,
      endpoint: upstream.url,
      allowedOrigins: [ORIGIN],
      durableWrite: true,
      spoolDir,
      retryBaseMs: 60_000,
      retryMaxMs: 60_000,
      logLevel: 'silent',
    });
    await waitForPort(port);
    const a = await sendBatch(`http://127.0.0.1:${port}/debugbundle/browser`, 2, 'replay');
    const b = await sendBatch(`http://127.0.0.1:${port}/debugbundle/browser`, 2, 'replay');
    relay.child.kill('SIGTERM');
    await relay.exited;
    const old = `${String(Date.now() - 2 * 86_400_000).padStart(13, '0')}-aaaaaaaaaaaa.delivered`;
    await writeFile(join(spoolDir, old), '{"events":[]}');

    const cleaned = await postern(['clean', '--json'], { cwd: dir });
    expect(cleaned.code, cleaned.stderr).toBe(0);
    expect(JSON.parse(cleaned.stdout).removed).toMatchObject({ delivered: 1, undelivered: 0 });

    await upstream.up();
    const replayed = await postern(['replay', '--json'], { cwd: dir });
    await upstream.down();
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({ total: 2, delivered: 2, failed: 0 });
    expect(upstream.received.sort()).toEqual([...(a?.ids ?? []), ...(b?.ids ?? [])].sort());
  });

  it('send-test reports the relay answer, and fails when the relay cannot deliver', async () => {
    const closed = await freePort();
    const port = await freePort();
    const relay = startServer(port, {
      projectToken: TOKEN,
      endpoint: `http://127.0.0.1:${closed}/v1/events`,
      allowedOrigins: [ORIGIN],
      logLevel: 'silent',
    });
    await waitForPort(port);
    const result = await postern([
      'send-test',
      '--url',
      `http://127.0.0.1:${port}/debugbundle/browser`,
      '--origin',
      ORIGIN,
      '--json',
    ]);
    relay.child.kill('SIGTERM');
    await relay.exited;
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      status: 502,
      body: { error: 'upstream_unreachable' },
    });
  });
});

describe('what serve loads', () => {
  it('leaves the Redis client unloaded without a Redis spool (it slows string code process-wide)', async () => {
    // A module hook that says when anything asks for ioredis; the control shows the hook sees it.
    const hook = await resolveHook(
      "  if (specifier === 'ioredis') writeSync(2, 'test: ioredis loaded\\n');",
    );
    const control = await run(
      process.execPath,
      [...hook, '--input-type=module', '-e', "await import('ioredis')"],
      { cwd: join(BIN, '..', '..') },
    );
    expect(control.stderr).toContain('test: ioredis loaded');

    const upstream = await loopbackUpstream(await freePort());
    await upstream.up();
    const port = await freePort();
    const relay = startServer(
      port,
      { projectToken: TOKEN, endpoint: upstream.url, allowedOrigins: [ORIGIN] },
      { nodeArgs: hook },
    );
    await waitForPort(port);
    const answer = await sendBatch(`http://127.0.0.1:${port}/debugbundle/browser`, 2, 'loads');
    relay.child.kill('SIGTERM');
    const code = await relay.exited;
    await upstream.down();
    expect(answer?.status).toBe(202);
    expect(code, relay.output()).toBe(0);
    expect(relay.output()).not.toContain('ioredis loaded');
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM answers the request in flight (its slow upstream included) before exiting 0', async () => {
    const slow = await startUpstream({ reply: { status: 202, delayMs: 800, body: '{}' } });
    const port = await freePort();
    const relay = startServer(port, {
      projectToken: TOKEN,
      endpoint: `${slow.url}/v1/events`,
      allowedOrigins: [ORIGIN],
      logLevel: 'silent',
    });
    await waitForPort(port);
    const inFlight = sendBatch(`http://127.0.0.1:${port}/debugbundle/browser`, 1, 'shutdown');
    await sleep(200);
    relay.child.kill('SIGTERM');
    const answered = await inFlight;
    const code = await relay.exited;
    await slow.close();
    expect(answered?.status).toBe(202);
    expect(code).toBe(0);
    expect(slow.received.map((request) => request.answered)).toEqual([202]);
  });

  it('on a SIGTERM while its modules still load, starts, then shuts down and exits 0', async () => {
    // A module hook holds the bin's import of the relay for 3 s and says when it has begun: the bin has run
    // its first lines by then, and nothing of the relay has loaded.
    const hook = await resolveHook(`  if (specifier === '../dist/index.js') {
    writeSync(2, 'test: holding the relay modules\\n');
    await new Promise((done) => setTimeout(done, 3000));
  }`);
    const upstream = await loopbackUpstream(await freePort());
    await upstream.up();
    const relay = startServer(
      await freePort(),
      { projectToken: TOKEN, endpoint: upstream.url, allowedOrigins: [ORIGIN] },
      { nodeArgs: hook },
    );
    while (!relay.output().includes('holding the relay modules') && relay.child.exitCode === null)
      await sleep(20);
    relay.child.kill('SIGTERM');
    const code = await relay.exited;
    await upstream.down();
    expect(relay.output()).toContain('postern relay listening');
    expect(relay.output()).toContain('"msg":"stopped"');
    expect(code, relay.output()).toBe(0);
  });
});
