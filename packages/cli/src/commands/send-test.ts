import { testBatch } from '../test-event.js';
import type { Output } from '../output.js';

export interface SendTestOptions {
  url: string;
  origin: string;
}

/** Sends one test event through a running relay and reports its answer (which, in direct mode, is the upstream's verdict). */
export async function sendTest(options: SendTestOptions, out: Output): Promise<number> {
  const { eventId, body } = testBatch('send-test');
  let status: number;
  let text: string;
  try {
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { origin: options.origin, 'content-type': 'application/json' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(15_000),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    out.result({
      ok: false,
      url: options.url,
      error: error instanceof Error ? error.message : String(error),
    });
    out.error(
      `postern send-test: could not reach ${options.url}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON; shown as text
  }
  const ok = status === 202;
  out.result({ ok, url: options.url, eventId, status, body: parsed });
  out.line(`${ok ? '✓' : '✗'} ${options.url} answered ${status} for test event ${eventId}`);
  out.line(`  ${text}`);
  if (!ok)
    out.line(
      '  A 502/504 code names what the upstream did (SPEC section 15); 503 spool_* means the relay could not store the batch.',
    );
  return ok ? 0 : 1;
}
