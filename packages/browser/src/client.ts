import {
  BREADCRUMB_TYPES,
  breadcrumb,
  breadcrumbPayload,
  envelope,
  exceptionPayload,
  requestPayload,
  uuid,
  type Breadcrumb,
  type BreadcrumbType,
  type BrowserEvent,
  type ExceptionSource,
  type Sender,
} from './events.js';
import { postBatch, type FetchFunction, type SendOutcome } from './transport.js';

export interface InitOptions {
  /** The relay: a path on the page's origin (`/debugbundle/browser`) or an absolute URL on another origin. */
  endpoint: string;
  /** `service.name` of every event. */
  service: string;
  /** `service.environment` of every event, e.g. `production`. */
  environment: string;
  /** How often queued events are sent. Default 3000 ms. */
  flushIntervalMs?: number;
  /** Events per request; a queue this long is sent at once. Default 20. */
  maxBatchSize?: number;
  /** Events kept while the relay cannot be reached; past it the oldest non-exception events are dropped. Default 100. */
  maxQueueSize?: number;
  /** Recent breadcrumbs attached to each exception. Default 20. */
  maxBreadcrumbs?: number;
  /** Report the `window` `error` and `unhandledrejection` events. Default true. */
  captureErrors?: boolean;
  /** Report the page's `fetch` calls that fail (status 400 and above, or no answer) as `request_event`s. Default true. */
  captureFetch?: boolean;
  /** Record route changes (`history.pushState`, `replaceState`, `popstate`) as breadcrumbs. Default true. */
  captureRoutes?: boolean;
}

export interface ClientStats {
  /** Events waiting to be sent. */
  queued: number;
  /** Events the relay accepted. */
  sent: number;
  /** Events handed to `navigator.sendBeacon` when the page was hidden: their answer is never known. */
  beaconed: number;
  /** Events dropped because the queue was full. */
  dropped: number;
  /** Events the relay refused for good (a 4xx other than 408 and 429, or an item rejection); never sent again. */
  refused: number;
}

export interface PosternClient {
  /** `correlation.session_id` of every event of this client: one per `init`. */
  readonly sessionId: string;
  /** Queues a `frontend_exception` with the recent breadcrumbs; returns its `event_id`. */
  captureException(error: unknown): string | undefined;
  /** Queues a `frontend_breadcrumb` and keeps it for the next exception; returns its `event_id`. */
  addBreadcrumb(type: BreadcrumbType, data?: Record<string, unknown>): string | undefined;
  /** Sends what is queued now, unless the relay asked to wait (`Retry-After`, backoff). */
  flush(): Promise<void>;
  /** Stops capturing (restores `fetch` and `history`), stops the timer and sends what is queued, unless the relay asked to wait. */
  close(): Promise<void>;
  stats(): ClientStats;
}

/** sendBeacon and keepalive requests share a 64 KiB in-flight budget per page; each beacon stays under 60 KiB. */
const BEACON_MAX_BYTES = 60 * 1024;
/** A keepalive fetch over the budget is refused outright; a bigger body goes as a plain fetch (it lives on if the page does). */
const KEEPALIVE_MAX_BYTES = 64 * 1024;
const BATCH_OVERHEAD = '{"batch":[]}'.length;
const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

interface Entry {
  event: BrowserEvent;
  /** Exceptions are the last to be dropped from a full queue. */
  exception: boolean;
}

function nonEmpty(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new TypeError(
      `@postern/browser: init({ ${name} }) must be a non-empty string, got ${JSON.stringify(value)}.`,
    );
  return value;
}

function count(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min)
    throw new TypeError(
      `@postern/browser: init({ ${name} }) must be a whole number of at least ${min}, got ${String(value)}.`,
    );
  return value;
}

const encoder = new TextEncoder();
const byteLength = (text: string): number => encoder.encode(text).length;
const serialise = (entries: readonly Entry[]): string =>
  JSON.stringify({ batch: entries.map((entry) => entry.event) });
const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Runs `work`; whatever it throws stays here: telemetry never breaks the page. */
function safely(work: () => void): void {
  try {
    work();
  } catch {
    // nothing to report to: this is the reporter
  }
}

/**
 * Starts a client: events are queued and sent to the relay in batches, and handed to
 * `navigator.sendBeacon` when the page is hidden or unloaded.
 *
 * @example
 * import { init } from '@postern/browser';
 *
 * const postern = init({ endpoint: '/debugbundle/browser', service: 'checkout-web', environment: 'production' });
 * postern.addBreadcrumb('click', { target: 'pay' });
 */
export function init(options: InitOptions): PosternClient {
  const endpoint = nonEmpty('endpoint', options.endpoint);
  const sender: Sender = {
    service: nonEmpty('service', options.service),
    environment: nonEmpty('environment', options.environment),
    sessionId: uuid(),
  };
  const flushIntervalMs = count('flushIntervalMs', options.flushIntervalMs, 3000);
  const maxBatchSize = count('maxBatchSize', options.maxBatchSize, 20);
  const maxQueueSize = count('maxQueueSize', options.maxQueueSize, 100);
  const maxBreadcrumbs = count('maxBreadcrumbs', options.maxBreadcrumbs, 20, 0);

  const win: (Window & typeof globalThis) | undefined =
    typeof window === 'undefined' ? undefined : window;
  // The unwrapped fetch, taken before the wrapper below: the client's own requests are never reported.
  const baseFetch = (win ?? globalThis).fetch;
  if (typeof baseFetch !== 'function')
    throw new TypeError('@postern/browser: this environment has no fetch.');
  const fetchBatch: FetchFunction = (input, init) => baseFetch.call(win ?? globalThis, input, init);
  let endpointUrl: URL | undefined;
  try {
    endpointUrl = new URL(endpoint, win?.location?.href);
  } catch {
    endpointUrl = undefined;
  }

  const queue: Entry[] = [];
  const crumbs: Breadcrumb[] = [];
  const stats = { sent: 0, beaconed: 0, dropped: 0, refused: 0 };
  /** The batch the timer's fetch is sending; `handedOff` once a page-hide beacon also carried it. */
  let inFlight: { entries: Entry[]; handedOff: boolean } | undefined;
  let pumping: Promise<void> | undefined;
  let retryAt = 0;
  let failures = 0;
  let warned = false;
  let closed = false;
  const undo: Array<() => void> = [];

  // The queue.

  function enqueue(event: BrowserEvent, exception: boolean): string {
    queue.push({ event, exception });
    trim();
    if (queue.length >= maxBatchSize) void pump();
    return event.event_id;
  }

  function trim(): void {
    while (queue.length > maxQueueSize) {
      const index = queue.findIndex((entry) => !entry.exception);
      queue.splice(index === -1 ? 0 : index, 1);
      stats.dropped++;
    }
  }

  function remember(crumb: Breadcrumb): void {
    crumbs.push(crumb);
    while (crumbs.length > maxBreadcrumbs) crumbs.shift();
  }

  function capture(error: unknown, source: ExceptionSource): string | undefined {
    if (closed) return undefined;
    return enqueue(
      envelope(sender, 'frontend_exception', exceptionPayload(error, source, crumbs)),
      true,
    );
  }

  function record(type: BreadcrumbType, data: unknown): string | undefined {
    if (closed) return undefined;
    const crumb = breadcrumb(type, data);
    remember(crumb);
    return enqueue(envelope(sender, 'frontend_breadcrumb', breadcrumbPayload(crumb)), false);
  }

  // Sending.

  function pump(): Promise<void> {
    // drain() does not throw; if it ever did, an unhandled rejection here would come back as an event.
    pumping ??= drain()
      .catch(() => undefined)
      .finally(() => {
        pumping = undefined;
      });
    return pumping;
  }

  /** Sends batch after batch, one request at a time, until the queue is empty or the relay asks to wait. */
  async function drain(): Promise<void> {
    while (queue.length > 0 && Date.now() >= retryAt) {
      const batch = { entries: queue.splice(0, maxBatchSize), handedOff: false };
      inFlight = batch;
      const outcome = await postBatch(
        fetchBatch,
        endpoint,
        serialise(batch.entries),
        false,
        batch.entries.length,
      );
      inFlight = undefined;
      if (!settle(batch.entries, outcome)) return;
    }
  }

  /** Applies an answer to the events it was for; false when sending should pause. */
  function settle(entries: Entry[], outcome: SendOutcome): boolean {
    switch (outcome.kind) {
      case 'delivered':
        stats.sent += entries.length - outcome.retry.length - outcome.rejected;
        stats.refused += outcome.rejected;
        if (outcome.retry.length === 0) {
          failures = 0;
          return true;
        }
        requeue(outcome.retry.map((index) => entries[index] as Entry));
        backOff(undefined);
        return false;
      case 'retry':
        // The same event_ids again later: the relay forwards each id once (R-DELIVER-7), so a batch that did
        // arrive before the connection failed is not duplicated upstream.
        requeue(entries);
        backOff(outcome.retryAfterMs);
        return false;
      case 'refused':
        stats.sent += outcome.accepted;
        stats.refused += entries.length - outcome.accepted;
        if (!warned && typeof console !== 'undefined') {
          warned = true;
          console.warn(
            `@postern/browser: the relay at ${endpoint} refused a batch with ${outcome.status}${outcome.code ? ` (${outcome.code})` : ''}; ` +
              `its events are dropped and not sent again. Later refusals are only counted, in stats().refused.`,
          );
        }
        return true;
    }
  }

  function requeue(entries: Entry[]): void {
    queue.unshift(...entries);
    trim();
  }

  /** Waits `Retry-After` when the relay gave one, else 1 s doubling per failure up to a minute, with jitter. */
  function backOff(retryAfterMs: number | undefined): void {
    failures++;
    const delay =
      retryAfterMs ??
      Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
    retryAt = Date.now() + delay;
  }

  /**
   * The page is being hidden or unloaded: a fetch may not outlive it, so everything queued (and the batch a
   * fetch is still sending, which the unload may cancel: the relay drops ids it already forwarded) goes out
   * by `navigator.sendBeacon`, in bodies under 60 KiB. A beacon always carries credentials and, as JSON, is
   * preflighted when the relay is on another origin: the relay must answer `Access-Control-Allow-Credentials:
   * true` (Relay Contract R-CORS-7) or the browser drops it after `sendBeacon` returned true. When a beacon
   * is refused (false, an exception, or too big), a `keepalive` fetch takes its place. Exceptions go first:
   * what the browser's 64 KiB budget leaves out is breadcrumbs.
   */
  function handOff(): void {
    const entries: Entry[] = [];
    if (inFlight && !inFlight.handedOff) {
      inFlight.handedOff = true;
      entries.push(...inFlight.entries);
    }
    entries.push(...queue.splice(0));
    const ordered = [
      ...entries.filter((entry) => entry.exception),
      ...entries.filter((entry) => !entry.exception),
    ];
    for (const chunk of chunks(ordered)) {
      const body = serialise(chunk);
      const bytes = byteLength(body);
      if (bytes <= BEACON_MAX_BYTES && beacon(body)) {
        stats.beaconed += chunk.length;
        continue;
      }
      void postBatch(fetchBatch, endpoint, body, bytes <= KEEPALIVE_MAX_BYTES, chunk.length).then(
        (outcome) => settle(chunk, outcome),
      );
    }
  }

  function beacon(body: string): boolean {
    const navigator = win?.navigator;
    if (typeof navigator?.sendBeacon !== 'function') return false;
    try {
      return navigator.sendBeacon(endpoint, new Blob([body], { type: 'application/json' }));
    } catch {
      return false;
    }
  }

  /** Splits events into bodies of at most 60 KiB (one event larger than that goes alone). */
  function chunks(entries: Entry[]): Entry[][] {
    const out: Entry[][] = [];
    let chunk: Entry[] = [];
    let bytes = BATCH_OVERHEAD;
    for (const entry of entries) {
      const size = byteLength(JSON.stringify(entry.event)) + 1;
      if (chunk.length > 0 && bytes + size > BEACON_MAX_BYTES) {
        out.push(chunk);
        chunk = [];
        bytes = BATCH_OVERHEAD;
      }
      chunk.push(entry);
      bytes += size;
    }
    if (chunk.length > 0) out.push(chunk);
    return out;
  }

  // What the client listens to and wraps; each step is undone by close().

  function listen(
    target: EventTarget | undefined,
    type: string,
    handler: (event: Event) => void,
  ): void {
    if (target === undefined) return;
    const listener = (event: Event): void => safely(() => handler(event));
    target.addEventListener(type, listener);
    undo.push(() => target.removeEventListener(type, listener));
  }

  function patch<T extends object, K extends keyof T>(
    target: T,
    key: K,
    wrap: (original: T[K]) => T[K],
  ): void {
    const original = target[key];
    const wrapped = wrap(original);
    target[key] = wrapped;
    undo.push(() => {
      if (target[key] === wrapped) target[key] = original;
    });
  }

  const timer = setInterval(() => void pump(), flushIntervalMs);

  if (win !== undefined) {
    listen(win, 'pagehide', handOff);
    listen(win.document, 'visibilitychange', () => {
      if (win.document.visibilityState === 'hidden') handOff();
    });

    if (options.captureErrors !== false) {
      listen(win, 'error', (event) => {
        // Resource errors (an <img> that failed) do not bubble to window listeners; only ErrorEvents arrive here.
        const { error, message, filename, lineno, colno } = event as ErrorEvent;
        if (error === undefined && message === undefined) return;
        capture(error, { via: 'window_error', window: { message, filename, lineno, colno } });
      });
      listen(win, 'unhandledrejection', (event) =>
        capture((event as PromiseRejectionEvent).reason, { via: 'unhandled_rejection' }),
      );
    }

    if (options.captureRoutes !== false && win.history && win.location) {
      const { history, location } = win;
      let route = location.pathname;
      const changed = (): void => {
        if (location.pathname === route) return;
        const from = route;
        route = location.pathname;
        record('route_change', { from, to: route });
      };
      const afterNavigation = (original: History['pushState']): History['pushState'] =>
        function (this: History, ...args: Parameters<History['pushState']>) {
          const result = original.apply(this, args);
          safely(changed);
          return result;
        };
      patch(history, 'pushState', afterNavigation);
      patch(history, 'replaceState', afterNavigation);
      listen(win, 'popstate', changed);
    }

    if (options.captureFetch !== false && typeof win.fetch === 'function') {
      const failed = (method: string, url: URL, status: number, started: number): void =>
        safely(() => {
          if (closed) return;
          const payload = requestPayload(method, url, status, now() - started);
          remember(
            breadcrumb('network_request', { method: payload.method, path: payload.path, status }),
          );
          enqueue(envelope(sender, 'request_event', payload), false);
        });
      patch(
        win,
        'fetch',
        (original) =>
          function (
            this: unknown,
            input: RequestInfo | URL,
            init?: RequestInit,
          ): Promise<Response> {
            const started = now();
            const pending = original.call(this, input, init);
            let method = 'GET';
            let url: URL;
            try {
              const request =
                typeof Request !== 'undefined' && input instanceof Request ? input : undefined;
              url = new URL(request ? request.url : String(input), win.location.href);
              method = init?.method ?? request?.method ?? 'GET';
            } catch {
              return pending;
            }
            if (
              endpointUrl &&
              url.origin === endpointUrl.origin &&
              url.pathname === endpointUrl.pathname
            )
              return pending;
            return pending.then(
              (response) => {
                if (response.status >= 400) failed(method, url, response.status, started);
                return response;
              },
              (error: unknown) => {
                // The page called abort(): not a failure of the request.
                if ((error as { name?: unknown } | null)?.name !== 'AbortError')
                  failed(method, url, 0, started);
                throw error;
              },
            );
          } as typeof fetch,
      );
    }
  }

  return {
    sessionId: sender.sessionId,
    captureException: (error) => capture(error, { via: 'capture' }),
    addBreadcrumb(type, data) {
      if (!BREADCRUMB_TYPES.includes(type)) {
        if (typeof console !== 'undefined')
          console.warn(
            `@postern/browser: addBreadcrumb type must be one of ${BREADCRUMB_TYPES.join(', ')}; got ${JSON.stringify(type)}, not sent.`,
          );
        return undefined;
      }
      return record(type, data);
    },
    flush: pump,
    async close() {
      if (!closed) {
        closed = true;
        clearInterval(timer);
        for (const step of undo.splice(0).reverse()) step();
      }
      await pump();
    },
    stats: () => ({ queued: queue.length, ...stats }),
  };
}
