import { spawn } from 'node:child_process';
import { readFile, readdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadContract } from '../src/contract.js';
import { startUpstream } from '../src/upstream.js';
import { commandTarget, freePort } from '../src/targets.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'conformance', 'bin', 'postern-conformance.mjs');
const node = `"${process.execPath}"`;

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('postern-conformance (black-box CLI)', () => {
  it('passes a conforming relay started by --cmd, exits 0 and writes every report', async () => {
    const reports = await mkdtemp(join(tmpdir(), 'postern-reports-'));
    const { code, stdout } = await run([
      '--cmd',
      `${node} examples/node/server.mjs`,
      '--name',
      'node-example',
      '--grep',
      'browser/3',
      '--grep',
      'browser/10',
      '--reports',
      reports,
      '--no-color',
    ]);
    const contract = await loadContract();
    const selected = contract.cases.filter((testCase) =>
      /^browser\/(3|10)\//.test(testCase.id),
    ).length;
    expect(stdout).toContain(`${selected} passed, 0 failed`);
    expect(code).toBe(0);
    const files = await readdir(reports);
    expect(files.sort()).toEqual([
      'badge.json',
      'badge.svg',
      'cases',
      'index.json',
      'junit.xml',
      'report.html',
      'report.md',
    ]);
    const index = JSON.parse(await readFile(join(reports, 'index.json'), 'utf8')) as {
      summary: { passed: number };
    };
    expect(index.summary.passed).toBe(selected);
  });

  it('fails a broken relay with a non-zero exit and names the case and requirement it broke', async () => {
    const { code, stdout } = await run([
      '--cmd',
      `${node} conformance/mutants/serve.mjs skips-origin-check`,
      '--grep',
      'browser/3/5',
      '--reports',
      await mkdtemp(join(tmpdir(), 'postern-reports-')),
      '--no-color',
    ]);
    expect(code).toBe(1);
    expect(stdout).toContain('browser/3/5');
    expect(stdout).toContain('R-ORIGIN-3');
    expect(stdout).toContain('0 passed, 1 failed');
  });

  it('runs against a relay that is already running (--url) and forwards to --sink-port', async () => {
    const sinkPort = await freePort();
    const contract = await loadContract();
    const profile = contract.profiles.get('allowlist');
    // Start the example by hand, configured as the allowlist profile says, forwarding to the runner's sink.
    const relay = await commandTarget({
      name: 'by-hand',
      command: `${node} examples/node/server.mjs`,
      cwd: root,
    }).start({
      profile: 'allowlist',
      protocol: 'browser',
      upstreamUrl: `http://127.0.0.1:${sinkPort}`,
      route: '/debugbundle/browser',
      options: {
        ...profile?.relay,
        endpoint: `http://127.0.0.1:${sinkPort}/v1/events`,
        path: '/debugbundle/browser',
      } as never,
    });
    try {
      const { code, stdout } = await run([
        '--url',
        relay.url,
        '--profile',
        'allowlist',
        '--sink-port',
        String(sinkPort),
        '--grep',
        'browser/10',
        '--grep',
        'browser/12',
        '--reports',
        await mkdtemp(join(tmpdir(), 'postern-reports-')),
        '--no-color',
      ]);
      expect(stdout).toMatch(/\b\d+ passed, 0 failed\b/);
      expect(code).toBe(0);
    } finally {
      await relay.close();
    }
  });

  it('explains itself with --help and refuses to run without a relay', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--cmd');
    const none = await run([]);
    expect(none.code).toBe(2);
  });

  it('the recording sink keeps exact bytes', async () => {
    const sink = await startUpstream();
    const body = Buffer.from([0x7b, 0x22, 0xff, 0x00, 0x0a, 0x7d]);
    const response = await fetch(`${sink.url}/v1/events`, {
      method: 'POST',
      body,
      headers: { 'x-check': 'a' },
    });
    expect(response.status).toBe(202);
    expect(sink.received[0]?.raw.equals(body)).toBe(true);
    expect(sink.received[0]?.headers['x-check']).toBe('a');
    await sink.close();
  });
});

describe('postern-conformance init', () => {
  it('scaffolds a harness and a CI workflow, and keeps files that exist', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'postern-init-'));
    const first = await run([
      'init',
      '--dir',
      dir,
      '--name',
      'rusty-relay',
      '--cmd',
      'cargo run --release',
    ]);
    expect(first.code).toBe(0);
    const harness = await readFile(join(dir, 'relay-harness.sh'), 'utf8');
    expect(harness).toContain('exec cargo run --release');
    expect(harness).toContain('POSTERN_PROFILE');
    const workflow = await readFile(
      join(dir, '.github', 'workflows', 'relay-conformance.yml'),
      'utf8',
    );
    expect(workflow).toContain('--cmd ./relay-harness.sh --name rusty-relay --contract-version v2');
    expect(workflow).not.toMatch(/__[A-Z]+__/);
    const again = await run(['init', '--dir', dir]);
    expect(again.stdout).toContain('kept');
    expect(await readFile(join(dir, 'relay-harness.sh'), 'utf8')).toBe(harness);
  });

  it('runs the scaffolded harness as the relay command', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'postern-init-'));
    await run([
      'init',
      '--dir',
      dir,
      '--cmd',
      `python3 ${join(root, 'conformance', 'examples', 'python', 'relay.py')}`,
    ]);
    const { code, stdout } = await run([
      '--cmd',
      join(dir, 'relay-harness.sh'),
      '--grep',
      'browser/2',
      '--reports',
      join(dir, 'reports'),
      '--no-color',
    ]);
    expect(stdout).toMatch(/\b5 passed, 0 failed\b/);
    expect(code).toBe(0);
  });

  it('refuses a contract version it does not ship', async () => {
    const { code, stderr } = await run(['--cmd', 'true', '--contract-version', 'v9']);
    expect(code).toBe(2);
    expect(stderr).toContain('ships contract v2, not v9');
  });
});
