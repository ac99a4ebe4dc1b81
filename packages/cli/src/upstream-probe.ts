export interface ProbeResult {
  /** Something answered HTTP at the endpoint (a redirect included). */
  reachable: boolean;
  status?: number;
  /** The answer was a redirect; it is never followed, and deliveries (which never follow one either) would fail. */
  redirected?: boolean;
  /** A redirect's Location header, for the log and for doctor. */
  location?: string;
  error?: string;
  ms: number;
}

/** The statuses fetch would follow. */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * Whether the upstream answers HTTP at all: any status counts, since a HEAD without credentials is not
 * what ingestion expects. Nothing secret is sent, and a redirect is reported as one, never followed: the
 * relay's deliveries do not follow redirects, so an endpoint that redirects is not one it can deliver to,
 * and following it would probe a host the configuration never named.
 */
export async function probeUpstream(
  endpoint: string,
  timeoutMs: number,
  fetchImpl: typeof fetch = fetch,
): Promise<ProbeResult> {
  const started = Date.now();
  try {
    const response = await fetchImpl(endpoint, {
      method: 'HEAD',
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel().catch(() => undefined);
    const result: ProbeResult = {
      reachable: true,
      status: response.status,
      ms: Date.now() - started,
    };
    if (REDIRECT_STATUSES.has(response.status)) {
      result.redirected = true;
      const location = response.headers.get('location');
      if (location !== null) result.location = location;
    }
    return result;
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const cause =
      error instanceof Error && error.cause instanceof Error
        ? error.cause.message
        : error instanceof Error
          ? error.message
          : String(error);
    return {
      reachable: false,
      error: name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : cause,
      ms: Date.now() - started,
    };
  }
}
