import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { writeReports } from '../src/reporters/index.js';
import { runConformance } from '../src/runner.js';
import { commandTarget } from '../src/targets.js';

const pythonDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples', 'python');
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// The HTML report is what a person opens first: it must render in a real browser without errors, show the
// matrix, and put failures before passes. The screenshot is saved beside the report.
describe('report.html in headless Chromium', () => {
  it('renders the matrix with failures first and no console errors', async () => {
    const result = await runConformance({
      targets: [
        commandTarget({ name: 'python', command: 'python3 relay.py', cwd: pythonDir }),
        commandTarget({
          name: 'python-broken',
          command: 'python3 broken_relay.py',
          cwd: pythonDir,
        }),
      ],
      grep: ['browser/2', 'browser/3', 'browser/5'],
    });
    expect(result.summary.failed).toBeGreaterThan(0);
    const reports =
      process.env.POSTERN_REPORT_DIR ?? (await mkdtemp(join(tmpdir(), 'postern-html-')));
    await writeReports(result, reports);

    const profile = await mkdtemp(join(tmpdir(), 'postern-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 900 },
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('request', (request) => {
        if (!request.url().startsWith('file:') && !request.url().startsWith('data:'))
          problems.push(`fetched ${request.url()}`);
      });
      await page.goto(pathToFileURL(join(reports, 'report.html')).href);
      const text = await page.locator('body').innerText();
      expect(text).toContain('python-broken');
      const matrix = page.locator('table').first();
      await expect.poll(() => matrix.isVisible()).toBe(true);
      expect(await matrix.innerText()).toMatch(/ORIGIN/);
      // Failures come before passes.
      expect(text.indexOf('browser/3/5')).toBeGreaterThan(-1);
      expect(text.indexOf('browser/3/5')).toBeLessThan(text.indexOf('browser/2/1'));
      const screenshot = join(reports, 'report.png');
      await page.screenshot({ path: screenshot, fullPage: false });
      expect((await stat(screenshot)).size).toBeGreaterThan(10_000);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    }
  });
});
