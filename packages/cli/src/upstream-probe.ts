export interface ProbeResult {
  reachable: boolean;
  status?: number;
  error?: string;
  ms: number;
}

/**
 * Whether the upstream answers HTTP at all: any status counts, since a HEAD without credentials is not
 * what ingestion expects. Nothing secret is sent.
 */
export async function probeUpstream(endpoint: string, timeoutMs: number, fetchImpl: typeof fetch = fetch): Promise<ProbeResult> {
  const started = Date.now();
  try {
    const response = await fetchImpl(endpoint, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel().catch(() => undefined);
    return { reachable: true, status: response.status, ms: Date.now() - started };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
    return { reachable: false, error: name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : cause, ms: Date.now() - started };
  }
}
