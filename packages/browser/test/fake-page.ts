import { vi } from 'vitest';

export const ENDPOINT = 'https://app.example/debugbundle/browser';
export const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.85 Safari/537.36';

/** One POST the client made to the relay, as fetch was called. */
export interface RelayPost {
  url: string;
  init: RequestInit;
  batch: Array<
    Record<string, unknown> & {
      event_id: string;
      event_type: string;
      payload: Record<string, unknown>;
    }
  >;
}

export interface Beacon {
  url: string;
  type: string;
  body: string;
  batch: RelayPost['batch'];
}

/** How the fake relay answers a POST: a Response, or an Error to fail the fetch (no answer). */
export type Answer = Response | Error | Promise<Response | Error>;

export interface FakePage {
  window: Window & typeof globalThis;
  posts: RelayPost[];
  beacons: Beacon[];
  /** Answers for the next relay POSTs, in order; then `202` acknowledging the whole batch. */
  answers: Array<(post: RelayPost) => Answer>;
  /** What sendBeacon does: returns its verdict, or throws. */
  beaconVerdict: () => boolean;
  /** Answers for the page's own requests (not the relay), by path. */
  app: Map<string, () => Answer>;
  /** The fetch the client captured at init, for the page's requests too. */
  baseFetch: ReturnType<typeof vi.fn>;
  hide(kind: 'pagehide' | 'visibilitychange'): void;
  events(): RelayPost['batch'];
}

export const acknowledge = (count: number): Response =>
  new Response(JSON.stringify({ accepted: count, rejected: 0, errors: [] }), {
    status: 202,
    headers: { 'content-type': 'application/json' },
  });

export const json = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

/**
 * Just enough of a page for the client: window and document as EventTargets, location and history that move
 * together, navigator with a Chrome user agent and sendBeacon, and a fetch that plays the relay (recording
 * every POST) and the app's own server. Installed as globals; `vi.unstubAllGlobals()` removes them.
 */
export function fakePage(url = 'https://app.example/checkout?step=2'): FakePage {
  const win = new EventTarget() as unknown as Record<string, unknown>;
  const doc = new EventTarget() as unknown as Record<string, unknown>;
  doc.visibilityState = 'visible';
  const location = new URL(url);
  const page: FakePage = {
    window: win as unknown as Window & typeof globalThis,
    posts: [],
    beacons: [],
    answers: [],
    beaconVerdict: () => true,
    app: new Map(),
    baseFetch: vi.fn(),
    hide(kind) {
      if (kind === 'pagehide') (win as unknown as EventTarget).dispatchEvent(new Event('pagehide'));
      else {
        doc.visibilityState = 'hidden';
        (doc as unknown as EventTarget).dispatchEvent(new Event('visibilitychange'));
      }
    },
    events: () => [
      ...page.posts.flatMap((post) => post.batch),
      ...page.beacons.flatMap((beacon) => beacon.batch),
    ],
  };
  const history = {
    pushState(_state: unknown, _unused: string, next?: string | URL | null) {
      if (next != null) location.href = new URL(String(next), location.href).href;
    },
    replaceState(_state: unknown, _unused: string, next?: string | URL | null) {
      if (next != null) location.href = new URL(String(next), location.href).href;
    },
  };
  const navigator = {
    userAgent: CHROME_UA,
    sendBeacon: vi.fn((target: string, data: Blob) => {
      const verdict = page.beaconVerdict();
      if (!verdict) return false;
      // Read the Blob the way the browser would send it; the test awaits `settled()` before looking.
      pending.push(
        data.text().then((body) => {
          page.beacons.push({
            url: target,
            type: data.type,
            body,
            batch: (JSON.parse(body) as { batch: RelayPost['batch'] }).batch,
          });
        }),
      );
      return verdict;
    }),
  };
  const pending: Array<Promise<void>> = [];
  page.baseFetch.mockImplementation(
    async (input: string | URL | Request, init: RequestInit = {}) => {
      const target = new URL(input instanceof Request ? input.url : String(input), location.href);
      if (target.href === ENDPOINT) {
        const post: RelayPost = {
          url: String(input),
          init,
          batch: (JSON.parse(String(init.body)) as { batch: RelayPost['batch'] }).batch,
        };
        page.posts.push(post);
        const answer = await (page.answers.shift()?.(post) ?? acknowledge(post.batch.length));
        if (answer instanceof Error) throw answer;
        return answer;
      }
      const answer = await (page.app.get(target.pathname)?.() ??
        new Response('ok', { status: 200 }));
      if (answer instanceof Error) throw answer;
      return answer;
    },
  );
  Object.assign(win, {
    document: doc,
    location,
    history,
    navigator,
    fetch: page.baseFetch,
    settled: () => Promise.all(pending),
  });
  vi.stubGlobal('window', win);
  vi.stubGlobal('location', location);
  vi.stubGlobal('navigator', navigator);
  return page;
}

/** Waits for sendBeacon Blobs to be read and for sends in progress to finish (setImmediate is never faked here). */
export async function settled(page: FakePage): Promise<void> {
  for (let round = 0; round < 20; round++) {
    await (page.window as unknown as { settled(): Promise<void> }).settled();
    await new Promise((resolve) => setImmediate(resolve));
  }
}
