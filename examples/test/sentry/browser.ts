import { access } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
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

/**
 * Debian's Chromium driven by playwright-core, never a downloaded browser. Playwright gives it a fresh
 * temporary profile, and each test takes its own context (cookies, storage) from it.
 */
export async function launchChromium(): Promise<Browser> {
  try {
    await access(CHROMIUM);
  } catch {
    throw new Error(
      `${CHROMIUM} is missing: this test drives Debian's Chromium. Install it with: apt-get install chromium`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** One POST the page made to the tunnel, as Chromium sent it, and what came back. */
export interface TunnelPost {
  body: Buffer;
  /** Request headers as sent on the wire (cookies included), filled in once the answer's headers arrived. */
  headers?: Record<string, string>;
  status?: number;
  responseHeaders?: Record<string, string>;
  failure?: string;
}

/** Records every POST the page sends to `tunnelPath` on its own origin, with the exact body bytes. */
export function recordTunnelPosts(page: Page, tunnelPath: string): TunnelPost[] {
  const posts: TunnelPost[] = [];
  const byRequest = new Map<object, TunnelPost>();
  page.on('request', (request) => {
    if (request.method() !== 'POST' || new URL(request.url()).pathname !== tunnelPath) return;
    const post: TunnelPost = { body: request.postDataBuffer() ?? Buffer.alloc(0) };
    byRequest.set(request, post);
    posts.push(post);
  });
  // 'response' (headers in), not 'requestfinished': the SDK never reads the answer's body, and Chromium does
  // not report an unread chunked body as finished.
  page.on('response', (response) => {
    const post = byRequest.get(response.request());
    if (post === undefined) return;
    void (async () => {
      try {
        post.headers = await response.request().allHeaders();
        post.responseHeaders = await response.allHeaders();
        post.status = response.status();
      } catch (error) {
        post.failure = `could not read the exchange: ${error instanceof Error ? error.message : String(error)}`;
      }
    })();
  });
  page.on('requestfailed', (request) => {
    const post = byRequest.get(request);
    if (post !== undefined) post.failure = request.failure()?.errorText ?? 'failed';
  });
  return posts;
}

/** Polls `check` every 25 ms until it is true, or fails with `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
