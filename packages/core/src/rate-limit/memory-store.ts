import type { RateLimitDecision, RateLimitStore } from './store.js';

export interface MemoryStoreOptions {
  /**
   * Clients tracked at once. Past it, a new client takes the place of one whose window is empty, else of
   * the least recently used client that may still send, and only when every client is refused, of the
   * least recently refused one. Default 100 000.
   */
  maxKeys?: number;
  /** The clock, for tests of the store itself. */
  now?: () => number;
}

/** One client: its sliding log and its place in one of the two recency lists. */
interface Client {
  readonly key: string;
  /** Times of counted requests, oldest first, from `first` on (the slots before it are spent). */
  times: number[];
  first: number;
  /** The window and limit of the client's last request, to judge it between requests. */
  windowMs: number;
  limit: number;
  /** When it was last seen, allowed or refused. */
  lastSeen: number;
  list: RecencyList;
  prev: Client | undefined;
  next: Client | undefined;
}

/** A doubly linked list, least recently used at `head`. */
interface RecencyList {
  head: Client | undefined;
  tail: Client | undefined;
}

/** Clients checked for an empty window at the head of each list per call: more than one call adds. */
const SWEEP_PER_CALL = 2;

/**
 * Work the store did, for tests that prove each call O(1): one step per client looked at, per timestamp
 * dropped or moved, and per Map operation.
 */
export interface MemoryStoreProbe {
  steps: number;
  /** Clients held now. */
  size(): number;
}

/**
 * A sliding-log limiter in process memory: a client is allowed when fewer than `limit` of its requests
 * fall in the last `windowMs`. Exact (no fixed-window bursts at the edges) and bounded: at most `limit`
 * timestamps per client and `maxKeys` clients.
 *
 * Every call is O(1) amortised, however many clients the store holds. Clients sit in two least-recently-
 * used lists (a Map finds them; the lists are linked through the clients, so nothing ever iterates the
 * Map): those at their limit (refused, or having just used their last slot) and the others. A new client
 * past `maxKeys` evicts a client whose window is empty, else the least recently used one that may still
 * send, and a client at its limit only when every client is: a flood of new addresses cannot free a bucket
 * that is being refused. Clients whose window has emptied are swept a few per call from the lists' heads.
 *
 * @example
 * import { createBrowserRelay, createMemoryStore } from '@postern/core';
 *
 * const relay = createBrowserRelay({
 *   projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN!,
 *   rateLimitStore: createMemoryStore({ maxKeys: 10_000 }),
 * });
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): RateLimitStore {
  return buildMemoryStore(options);
}

/** The store with a probe counting its work; not part of the package's exports. */
export function createProbedMemoryStore(options: MemoryStoreOptions = {}): {
  store: RateLimitStore;
  probe: MemoryStoreProbe;
} {
  const probe: MemoryStoreProbe = { steps: 0, size: () => 0 };
  return { store: buildMemoryStore(options, probe), probe };
}

function buildMemoryStore(options: MemoryStoreOptions, probe?: MemoryStoreProbe): RateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  if (!Number.isInteger(maxKeys) || maxKeys <= 0)
    throw new TypeError(`maxKeys must be a whole number above 0, got ${String(maxKeys)}.`);
  const now = options.now ?? Date.now;
  const clients = new Map<string, Client>();
  /** Clients that may send: the last request was allowed and left a slot. */
  const open: RecencyList = { head: undefined, tail: undefined };
  /** Clients at their limit: the last request was refused, or took the last slot. */
  const limited: RecencyList = { head: undefined, tail: undefined };
  const step = probe
    ? (n = 1) => {
        probe.steps += n;
      }
    : () => undefined;
  if (probe) probe.size = () => clients.size;

  function unlink(client: Client): void {
    const { list, prev, next } = client;
    if (prev) prev.next = next;
    else list.head = next;
    if (next) next.prev = prev;
    else list.tail = prev;
    client.prev = client.next = undefined;
  }

  function append(list: RecencyList, client: Client): void {
    client.list = list;
    client.prev = list.tail;
    client.next = undefined;
    if (list.tail) list.tail.next = client;
    else list.head = client;
    list.tail = client;
  }

  function forget(client: Client): void {
    unlink(client);
    clients.delete(client.key);
    step();
  }

  /** No counted request left in the window: forgetting the client changes nothing. */
  function isEmpty(client: Client, at: number): boolean {
    const newest = client.times[client.times.length - 1];
    return newest === undefined || newest <= at - client.windowMs;
  }

  /** Whether the client would be refused now: `limit` of its requests still in the window. */
  function isLimited(client: Client, at: number): boolean {
    const index = client.times.length - client.limit;
    return index >= client.first && (client.times[index] as number) > at - client.windowMs;
  }

  /** Drops a few clients with an empty window from the head of a list (the least recently used). */
  function sweep(list: RecencyList, at: number): void {
    for (let n = 0; n < SWEEP_PER_CALL; n++) {
      const head = list.head;
      step();
      if (head === undefined || !isEmpty(head, at)) return;
      forget(head);
    }
  }

  /**
   * Makes room for one client: the least recently used of the open list's head and a limited client whose
   * limit has passed; a client still refused only when every client is.
   */
  function evictOne(at: number): void {
    step(2);
    const candidate = open.head;
    const lapsed =
      limited.head !== undefined && !isLimited(limited.head, at) ? limited.head : undefined;
    if (candidate && lapsed) forget(lapsed.lastSeen < candidate.lastSeen ? lapsed : candidate);
    else if (candidate ?? lapsed) forget((candidate ?? lapsed) as Client);
    else if (limited.head) forget(limited.head);
  }

  /** Drops timestamps that left the window and any beyond the newest `limit`; compacts the spent front. */
  function prune(client: Client, at: number): void {
    const { times } = client;
    const oldestKept = Math.max(client.first, times.length - client.limit);
    step(oldestKept - client.first);
    client.first = oldestKept;
    while (client.first < times.length && (times[client.first] as number) <= at - client.windowMs) {
      client.first++;
      step();
    }
    if (client.first === times.length) {
      times.length = 0;
      client.first = 0;
    } else if (client.first * 2 >= times.length) {
      // Each move is paid for by a timestamp dropped before it, so this stays O(1) amortised.
      step(times.length - client.first);
      times.copyWithin(0, client.first);
      times.length -= client.first;
      client.first = 0;
    }
  }

  return {
    hit(key: string, limit: number, windowMs: number): RateLimitDecision {
      const at = now();
      sweep(open, at);
      sweep(limited, at);
      let client = clients.get(key);
      step();
      if (client === undefined) {
        if (clients.size >= maxKeys) evictOne(at);
        client = {
          key,
          times: [],
          first: 0,
          windowMs,
          limit,
          lastSeen: at,
          list: open,
          prev: undefined,
          next: undefined,
        };
        clients.set(key, client);
        step();
      } else {
        unlink(client);
        client.windowMs = windowMs;
        client.limit = limit;
        client.lastSeen = at;
      }
      prune(client, at);
      const { times } = client;
      const counted = times.length - client.first;
      if (counted >= limit) {
        append(limited, client);
        const oldest = times[client.first];
        return {
          allowed: false,
          remaining: 0,
          resetMs: oldest === undefined ? windowMs : Math.max(0, oldest + windowMs - at),
        };
      }
      // A new array for a first timestamp holds just it; `push` onto an empty one would reserve 17 slots.
      if (times.length === 0) client.times = [at];
      else times.push(at);
      append(counted + 1 >= limit ? limited : open, client);
      return {
        allowed: true,
        remaining: limit - counted - 1,
        resetMs: (client.times[client.first] as number) + windowMs - at,
      };
    },
  };
}
