import { UpstreamFailure, type UpstreamReply, type UpstreamTransport } from '../delivery/transport.js';

/** What the upstream said, reduced to what the browser's SDK needs to hear. */
export type UpstreamAnswer =
  | { ok: true; status: number; headers: Record<string, string>; body: string | null }
  | { ok: false; code: 'upstream_timeout' | 'upstream_unreachable' | 'upstream_error'; detail: string };

/** Headers of the upstream's answer the SDK acts on; nothing else of it is passed on. */
const PASSED_HEADERS = ['retry-after', 'x-sentry-rate-limits', 'content-type'] as const;
/** Sentry answers `{"id":"…"}`; anything longer is not for the browser and is dropped unread. */
const MAX_ANSWER_BYTES = 65_536;

export interface ForwardOptions {
  transport: UpstreamTransport;
  timeoutMs: number;
  userAgent: string;
}

const decoder = new TextDecoder();

/**
 * POSTs one envelope to one target. Only the headers built here go upstream: the envelope content type,
 * the relay's user agent and the client address the trusted-proxy rules vouch for; never a client header.
 */
export async function forwardEnvelope(url: string, body: Uint8Array, clientAddress: string, options: ForwardOptions): Promise<UpstreamAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/x-sentry-envelope', 'user-agent': options.userAgent };
  if (clientAddress !== 'unknown') headers['x-forwarded-for'] = clientAddress;
  let reply: UpstreamReply;
  try {
    reply = await options.transport.post(url, headers, body, options.timeoutMs);
  } catch (error) {
    if (error instanceof UpstreamFailure && error.kind === 'timeout') return { ok: false, code: 'upstream_timeout', detail: error.message };
    return { ok: false, code: 'upstream_unreachable', detail: 'The connection to the upstream failed.' };
  }
  if (reply.status >= 300 && reply.status < 400) {
    // A redirect is never followed (the upstream comes only from configuration) nor passed to the browser.
    await reply.readSmall(0).catch(() => null);
    return { ok: false, code: 'upstream_error', detail: `The upstream answered ${reply.status}.` };
  }
  const passed: Record<string, string> = {};
  for (const name of PASSED_HEADERS) {
    const value = reply.header(name);
    if (value !== undefined) passed[name] = value;
  }
  let text: string | null;
  try {
    const bytes = await reply.readSmall(MAX_ANSWER_BYTES);
    text = bytes === null || bytes.length === 0 ? null : decoder.decode(bytes);
  } catch {
    // The status and rate limits arrived; a body cut off mid-way changes nothing the SDK acts on.
    text = null;
  }
  if (text === null) delete passed['content-type'];
  return { ok: true, status: reply.status, headers: passed, body: text };
}
