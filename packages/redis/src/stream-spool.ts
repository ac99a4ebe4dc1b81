import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  DEFAULTS,
  type Delivery,
  type DeliveryOutcome,
  type RelayLogger,
  type SpoolEvent,
} from '@postern/core';
import {
  attemptEvent,
  backoffDelay,
  claimLeaseMs,
  RETENTION,
  retryAfterMs,
  SpoolSerializationError,
  type PruneResult,
  type RetentionPolicy,
  type SpoolStats,
} from '@postern/core/spool';
import { defineScript, runScript, type RedisScriptClient } from './script.js';
import {
  ACK_SCRIPT,
  FAIL_SCRIPT,
  FORGET_CONSUMER_SCRIPT,
  PAUSE_SCRIPT,
  PRUNE_SCRIPT,
  QUARANTINE_SCRIPT,
  RECLAIM_SCRIPT,
  RELEASE_PROBE_SCRIPT,
  STORE_SCRIPT,
  TAKE_SCRIPT,
} from './stream-spool.lua.js';

/** The Redis client the spool needs: scripts, and plain commands by name (an ioredis `Redis` fits as it is). */
export interface RedisCommandClient extends RedisScriptClient {
  call(command: string, ...args: Array<string | number>): Promise<unknown>;
}

export interface RedisSpoolOptions {
  /**
   * Give it a client that fails fast while Redis is away (ioredis: `enableOfflineQueue: false`,
   * `maxRetriesPerRequest: 0`): a batch that cannot be stored is refused with 503 `spool_unavailable` at once
   * instead of waiting, and the SDK sends it again later.
   */
  client: RedisCommandClient;
  /** Sends one batch upstream: `createDirectDelivery` from `@postern/core`. */
  forward: Delivery;
  /** The forward's own timeout; the lease on an entry is this plus 5 s, as for the file spool. */
  upstreamTimeoutMs: number;
  /**
   * Prefix of the spool's keys. Default `postern:spool:`. Relays that share a prefix share one spool, and
   * must forward to the same upstream. On Redis Cluster, use a hash tag (`{postern:spool}:`).
   */
  prefix?: string;
  /** Most bytes the spool stream and its quarantine may hold together; default 104857600 (100 MiB). */
  maxBytes?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Entries this relay forwards at once. Default 16. */
  concurrency?: number;
  /** How often this relay looks for entries other relays stored, or left behind. Default 1000 ms. */
  pollIntervalMs?: number;
  /**
   * Answer 202 only once this many replicas have the entry (`WAIT`); fewer within `timeoutMs` answers 503
   * `spool_unavailable`: the entry stays and is delivered, and the SDK's retry is stored again (a duplicate,
   * never a loss). `WAIT` holds the client's connection meanwhile, so give the spool a client of its own;
   * not for Redis Cluster, where `WAIT` would go to any node.
   */
  replicas?: { count: number; timeoutMs: number };
  /**
   * How long an entry stays with the relay that read it before another may take it over. Default
   * `upstreamTimeoutMs` + 5 s: longer than one attempt can take. Every relay sharing the spool must use the same.
   */
  leaseMs?: number;
  /** This relay's name in the consumer group. Default host, pid and a random suffix: unique per process start. */
  consumer?: string;
  logger?: RelayLogger;
  onSpoolEvent?: (event: SpoolEvent) => void;
}

export interface RedisSpoolConsumer {
  name: string;
  /** Entries it holds (read, not yet acknowledged). */
  pending: number;
  /** Since it last read or claimed. */
  idleMs: number;
}

export interface RedisSpoolStats extends SpoolStats {
  consumers: RedisSpoolConsumer[];
}

export interface RedisSpoolDelivery extends Delivery {
  readonly consumer: string;
  readonly keys: { stream: string; quarantine: string };
  /** Creates the consumer group if needed and starts this relay's worker; rejects while Redis cannot be reached. */
  ready(): Promise<void>;
  /** Creates the consumer group if needed, without starting a worker: for tools that only read or prune. */
  ensureGroup(): Promise<void>;
  stats(): Promise<RedisSpoolStats>;
  /** Removes undelivered and quarantined entries past retention (delivered entries are removed on delivery). */
  prune(policy?: RetentionPolicy, now?: number): Promise<PruneResult>;
  /** Stops the worker and waits for stores and forwards in progress; the client stays open (it is the caller's). */
  close(): Promise<void>;
}

/** What an option left out means. */
export const REDIS_SPOOL_DEFAULTS = {
  prefix: 'postern:spool:',
  maxBytes: DEFAULTS.maxSpoolBytes,
  retryBaseMs: DEFAULTS.retryBaseMs,
  retryMaxMs: DEFAULTS.retryMaxMs,
  concurrency: 16,
  pollIntervalMs: 1000,
} as const;

const GROUP = 'postern';
const SCRIPTS = {
  store: defineScript(STORE_SCRIPT),
  ack: defineScript(ACK_SCRIPT),
  quarantine: defineScript(QUARANTINE_SCRIPT),
  reclaim: defineScript(RECLAIM_SCRIPT),
  take: defineScript(TAKE_SCRIPT),
  pause: defineScript(PAUSE_SCRIPT),
  fail: defineScript(FAIL_SCRIPT),
  releaseProbe: defineScript(RELEASE_PROBE_SCRIPT),
  forgetConsumer: defineScript(FORGET_CONSUMER_SCRIPT),
  prune: defineScript(PRUNE_SCRIPT),
};
/** Entries removed by one retention step; prune loops until none is left. */
const PRUNE_STEP = 100;
/** A consumer idle this long with nothing pending is a relay that has gone: `prune` drops its name. */
const GONE_CONSUMER_IDLE_MS = 3600_000;
/** The failure count outlives any pause it may set (an hour at most), then resets by itself. */
const FAILURES_TTL_MS = 2 * 3600_000;

interface Held {
  id: string;
  batch: string;
  bytes: number;
  /** Sent before (by this relay or the one whose lease ran out), for the attempt event. */
  redelivery: boolean;
}

type Attempt = 'delivered' | 'retry' | 'quarantined' | 'skipped';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A stream entry as Redis returns it: [id, [field, value, ...]]; undefined for anything else. */
function toHeld(entry: unknown): Held | undefined {
  if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Array.isArray(entry[1]))
    return undefined;
  const fields = entry[1] as string[];
  let batch: string | undefined;
  let bytes = 0;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] === 'batch') batch = fields[i + 1];
    else if (fields[i] === 'bytes') bytes = Number(fields[i + 1]);
  }
  // No batch field (written by something else): an empty batch, quarantined as unreadable, never skipped forever.
  return { id: entry[0], batch: batch ?? '', bytes, redelivery: true };
}

/**
 * The entries of the one stream in an XREADGROUP answer: `[[stream, entries]]` in RESP2, `[stream, entries]`
 * where a RESP3 client flattens the map it gets; null when there are none.
 */
function readEntries(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) return [];
  const pair = Array.isArray(reply[0]) ? reply[0] : reply;
  return Array.isArray(pair[1]) ? (pair[1] as unknown[]) : [];
}

/** The entries of an XREADGROUP `>` answer: read for the first time. */
function newEntries(reply: unknown): Held[] {
  const held: Held[] = [];
  for (const entry of readEntries(reply)) {
    const one = toHeld(entry);
    if (one) held.push({ ...one, redelivery: false });
  }
  return held;
}

/** One consumer of `XINFO CONSUMERS`: a flat field list in RESP2, a map (flattened the same way) in RESP3. */
function toConsumer(fields: unknown): RedisSpoolConsumer {
  const info: Record<string, unknown> = {};
  const list = Array.isArray(fields) ? fields : [];
  for (let i = 0; i < list.length; i += 2) info[String(list[i])] = list[i + 1];
  return { name: String(info.name), pending: Number(info.pending), idleMs: Number(info.idle) };
}

/** The milliseconds of a stream id (`<ms>-<seq>`): when the entry was stored. */
function idTime(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/**
 * Durable delivery on Redis Streams, shared by a fleet: each accepted batch is answered 202 only after `XADD`
 * is acknowledged (and, with `replicas`, copied); every relay with the same prefix reads the stream in one
 * consumer group, so a batch stored by one relay may be forwarded by another. An entry is held by one relay
 * at a time; one it held longer than the lease (its relay died or hangs) is taken over by the next that
 * looks (`XAUTOCLAIM`). The upstream's state is the fleet's: a failure pauses every relay for the backoff or
 * the upstream's `Retry-After`, after which one relay probes; a permanent `4xx` moves the entry to the
 * quarantine stream. Every rule that decides an entry's fate is one Lua script, atomic on the server.
 *
 * @example
 * import { createDirectDelivery, VERSION } from '@postern/core';
 * import { undiciTransport } from '@postern/node';
 * import { createRedisSpoolDelivery } from '@postern/redis';
 * import { Redis } from 'ioredis';
 *
 * const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
 * const forward = createDirectDelivery({
 *   endpoint: 'https://api.debugbundle.com/v1/events',
 *   projectToken: process.env.DEBUGBUNDLE_PROJECT_TOKEN!,
 *   timeoutMs: 10_000,
 *   transport: undiciTransport(),
 *   userAgent: `postern/${VERSION}`,
 * });
 * const delivery = createRedisSpoolDelivery({ client, forward, upstreamTimeoutMs: 10_000 });
 * // pass { delivery } to createBrowserRelay or any adapter's posternRelay
 */
export function createRedisSpoolDelivery(options: RedisSpoolOptions): RedisSpoolDelivery {
  const { client, forward, logger } = options;
  const onEvent = options.onSpoolEvent;
  const prefix = options.prefix ?? REDIS_SPOOL_DEFAULTS.prefix;
  const maxBytes = options.maxBytes ?? REDIS_SPOOL_DEFAULTS.maxBytes;
  const retryBaseMs = options.retryBaseMs ?? REDIS_SPOOL_DEFAULTS.retryBaseMs;
  const retryMaxMs = options.retryMaxMs ?? REDIS_SPOOL_DEFAULTS.retryMaxMs;
  const concurrency = options.concurrency ?? REDIS_SPOOL_DEFAULTS.concurrency;
  const pollIntervalMs = options.pollIntervalMs ?? REDIS_SPOOL_DEFAULTS.pollIntervalMs;
  const leaseMs = options.leaseMs ?? claimLeaseMs(options.upstreamTimeoutMs);
  const consumer =
    options.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const keys = {
    stream: `${prefix}stream`,
    bytes: `${prefix}bytes`,
    quarantine: `${prefix}quarantine`,
    quarantineBytes: `${prefix}quarantine-bytes`,
    pause: `${prefix}pause`,
    failures: `${prefix}failures`,
    probe: `${prefix}probe`,
  };
  const dataKeys = [keys.stream, keys.bytes, keys.quarantine, keys.quarantineBytes];

  /** Entries this relay holds after a transient failure, retried once the fleet's pause is over. */
  const retry = new Map<string, Held>();
  const active = new Map<string, Promise<Attempt>>();
  const writes = new Set<Promise<unknown>>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let pumping: Promise<void> | undefined;
  let again = false;
  let lastTakeover = 0;
  let takeoverCursor = '0-0';
  let soon = false;
  let starting: Promise<void> | undefined;
  let started = false;
  let closed = false;

  async function createGroup(): Promise<void> {
    try {
      await client.call('XGROUP', 'CREATE', keys.stream, GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!message(error).startsWith('BUSYGROUP')) throw error;
    }
  }

  function ready(): Promise<void> {
    starting ??= createGroup()
      .then(() => {
        started = true;
        schedule(0);
      })
      .catch((error: unknown) => {
        starting = undefined;
        throw error;
      });
    return starting;
  }

  async function store(events: readonly Record<string, unknown>[]): Promise<DeliveryOutcome> {
    let batch: string;
    try {
      batch = JSON.stringify({ version: 1, received_at: new Date().toISOString(), events });
    } catch (error) {
      logger?.error(
        'postern: a batch could not be serialised for the spool; it is refused with 500 and nothing was written',
        { error: new SpoolSerializationError(error).message },
      );
      return { ok: false, code: 'internal_error', detail: 'The batch could not be serialised.' };
    }
    const bytes = Buffer.byteLength(batch);
    try {
      await ready();
      const reply = (await runScript(client, SCRIPTS.store, dataKeys, [
        batch,
        bytes,
        maxBytes,
      ])) as Array<string | number>;
      if (reply[0] !== 1) {
        onEvent?.({ type: 'refused', code: 'spool_full' });
        return {
          ok: false,
          code: 'spool_full',
          detail: `The spool holds ${maxBytes} bytes at most.`,
        };
      }
      for (let i = 2; i < reply.length; i += 2) {
        const evicted = { id: String(reply[i]), bytes: Number(reply[i + 1]) };
        logger?.warn(
          'postern: spool over maxSpoolBytes; evicted the oldest quarantined entry',
          evicted,
        );
        onEvent?.({ type: 'evicted', ...evicted, reason: 'quarantined' });
      }
      onEvent?.({ type: 'stored', bytes });
      if (options.replicas) {
        const copies = Number(
          await client.call('WAIT', options.replicas.count, options.replicas.timeoutMs),
        );
        if (copies < options.replicas.count) {
          logger?.error(
            'postern: a spool entry reached fewer replicas than required; the batch is answered 503 (it stays and is delivered)',
            { id: reply[1], replicas: copies, required: options.replicas.count },
          );
          onEvent?.({ type: 'refused', code: 'spool_unavailable' });
          return {
            ok: false,
            code: 'spool_unavailable',
            detail: 'The spool could not confirm the batch on enough replicas.',
          };
        }
      }
      schedule(0);
      return { ok: true };
    } catch (error) {
      logger?.error(
        'postern: could not store the batch in the Redis spool; it is refused with 503',
        {
          stream: keys.stream,
          error: message(error),
        },
      );
      onEvent?.({ type: 'refused', code: 'spool_unavailable' });
      return {
        ok: false,
        code: 'spool_unavailable',
        detail: 'The spool (Redis) cannot be reached.',
      };
    }
  }

  async function attempt(held: Held): Promise<Attempt> {
    const { redelivery } = held;
    let events: Record<string, unknown>[];
    try {
      const parsed = JSON.parse(held.batch) as { events?: unknown };
      if (!Array.isArray(parsed.events)) throw new Error('the entry holds no "events" array');
      events = parsed.events as Record<string, unknown>[];
    } catch (error) {
      await quarantine(held, `unreadable entry: ${message(error)}`);
      return 'quarantined';
    }
    const startedAt = Date.now();
    // The transport's timeout bounds waiting, not a whole slow upload: while this relay is still sending,
    // it renews its hold, so no other relay takes the entry over and sends it at the same time.
    const renew = setInterval(
      () =>
        void runScript(client, SCRIPTS.reclaim, [keys.stream], [GROUP, consumer, held.id]).catch(
          () => undefined,
        ),
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    renew.unref?.();
    const outcome = await forward.deliver(events).finally(() => clearInterval(renew));
    const durationMs = Date.now() - startedAt;
    onEvent?.(attemptEvent(outcome, durationMs, redelivery));
    if (outcome.ok) {
      await runScript(
        client,
        SCRIPTS.ack,
        [keys.stream, keys.bytes, keys.failures, keys.probe],
        [GROUP, held.id, held.bytes],
      );
      onEvent?.({ type: 'delivered', id: held.id });
      return 'delivered';
    }
    if (outcome.code === 'upstream_rejected') {
      await quarantine(held, outcome.detail, outcome.status);
      return 'quarantined';
    }
    // The fleet pauses at once (the shortest backoff) before this relay works out the full wait.
    const [failures, counted] = (await runScript(
      client,
      SCRIPTS.fail,
      [keys.failures, keys.pause],
      [Math.max(1, Math.floor(retryBaseMs / 2)), FAILURES_TTL_MS],
    )) as [number, number];
    const retryAfter = retryAfterMs(outcome.retryAfter) ?? 0;
    // A failure of a request sent before the pause began is not a new round: only its Retry-After counts.
    const wait = Math.max(
      counted ? backoffDelay(failures, retryBaseMs, retryMaxMs) : 0,
      retryAfter,
    );
    await runScript(client, SCRIPTS.pause, [keys.pause, keys.probe], [Math.max(1, wait), consumer]);
    logger?.warn('postern: upstream delivery failed; the entry stays in the spool', {
      code: outcome.code,
      retryInMs: wait,
      consecutiveFailures: failures,
    });
    return 'retry';
  }

  async function quarantine(held: Held, reason: string, status?: number): Promise<void> {
    const moved = await runScript(client, SCRIPTS.quarantine, dataKeys, [
      GROUP,
      held.id,
      held.bytes,
      held.batch,
      reason,
      status ?? '',
    ]);
    if (moved !== 1) return;
    logger?.error(
      'postern: the upstream refused a spool entry for good; it is quarantined, not retried',
      {
        id: held.id,
        reason,
        ...(status === undefined ? {} : { status }),
      },
    );
    onEvent?.({
      type: 'quarantined',
      id: held.id,
      reason,
      ...(status === undefined ? {} : { status }),
    });
  }

  /** Up to `count` entries for this relay: its own retries first, then ones past their lease, then new ones. */
  async function take(count: number): Promise<Held[]> {
    const taken: Held[] = [];
    for (const held of [...retry.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      if (taken.length >= count) break;
      retry.delete(held.id);
      if (active.has(held.id)) continue;
      // Another relay may have taken it over while this one waited out the pause.
      if (
        (await runScript(client, SCRIPTS.reclaim, [keys.stream], [GROUP, consumer, held.id])) === 1
      )
        taken.push(held);
    }
    // Entries past their lease are looked for once a poll interval, not on every pump.
    if (taken.length < count && Date.now() - lastTakeover >= pollIntervalMs) {
      lastTakeover = Date.now();
      const reply = (await client.call(
        'XAUTOCLAIM',
        keys.stream,
        GROUP,
        consumer,
        leaseMs,
        takeoverCursor,
        'COUNT',
        count - taken.length,
      )) as unknown[];
      // Each call scans a slice of the pending list; the next goes on from where this one stopped.
      takeoverCursor = typeof reply[0] === 'string' ? reply[0] : '0-0';
      for (const entry of (reply[1] as unknown[]) ?? []) {
        const held = toHeld(entry);
        if (!held || active.has(held.id)) continue;
        // Its own entries past the lease come back here too; they are not retried twice.
        if (!retry.delete(held.id))
          logger?.warn('postern: took over a spool entry another relay held past its lease', {
            id: held.id,
          });
        taken.push(held);
      }
    }
    if (taken.length < count) {
      const reply = await client.call(
        'XREADGROUP',
        'GROUP',
        GROUP,
        consumer,
        'COUNT',
        count - taken.length,
        'STREAMS',
        keys.stream,
        '>',
      );
      taken.push(...newEntries(reply));
    }
    return taken;
  }

  async function pumpOnce(): Promise<number> {
    if (closed) return -1;
    // Retries of its own and entries past their lease are rare; without them the gate reads new entries itself.
    const takeoverDue = Date.now() - lastTakeover >= pollIntervalMs;
    const fast = retry.size === 0 && !takeoverDue;
    const [wait, limit, room, read] = (await runScript(
      client,
      SCRIPTS.take,
      [keys.pause, keys.failures, keys.probe, keys.stream],
      [consumer, leaseMs, GROUP, concurrency, active.size, fast ? 1 : 0],
    )) as [number, number, number, unknown?];
    if (wait > 0) return wait;
    if (room <= 0) return limit === 0 ? pollIntervalMs : -1;
    const entries = fast ? newEntries(read) : await take(room);
    // Holding the probe with nothing to send would stall the fleet until it expires: hand it back.
    if (limit === 1 && entries.length === 0) await releaseProbe();
    // Shutting down: what was just read stays with this consumer and is taken over after the lease.
    if (closed) return -1;
    for (const held of entries) {
      const running = attempt(held)
        .catch((error: unknown) => {
          logger?.error(
            'postern: a spool entry could not be handled; it is retried after the lease',
            {
              id: held.id,
              error: message(error),
            },
          );
          return 'skipped' as const;
        })
        .then((result) => {
          active.delete(held.id);
          if (result === 'retry') retry.set(held.id, { ...held, redelivery: true });
          // A probe answered for good (quarantined) or not handled: the next may probe.
          if (result === 'quarantined' || result === 'skipped')
            void releaseProbe().catch(() => undefined);
          schedule(0);
          return result;
        });
      active.set(held.id, running);
    }
    return pollIntervalMs;
  }

  function releaseProbe(): Promise<unknown> {
    return runScript(client, SCRIPTS.releaseProbe, [keys.probe], [consumer]);
  }

  /** One pump at a time; a request for another while one runs makes it run again right after. */
  function pump(): void {
    if (closed || !started) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = pumpOnce()
      .catch(async (error: unknown) => {
        // The group is gone when Redis lost its data (restarted without persistence, or flushed).
        if (message(error).includes('NOGROUP')) await createGroup().catch(() => undefined);
        logger?.error('postern: could not read the Redis spool; trying again', {
          error: message(error),
        });
        return pollIntervalMs;
      })
      .then((next) => {
        pumping = undefined;
        if (again) {
          again = false;
          schedule(0);
        } else if (next >= 0) schedule(next);
      });
  }

  function schedule(delayMs: number): void {
    if (closed) return;
    clearTimeout(timer);
    // At once means this turn of the event loop: a 0 ms timer waits a millisecond, per entry forwarded.
    if (delayMs <= 0) {
      timer = undefined;
      if (soon) return;
      soon = true;
      setImmediate(() => {
        soon = false;
        pump();
      });
      return;
    }
    timer = setTimeout(pump, delayMs);
    timer.unref?.();
  }

  return {
    consumer,
    keys: { stream: keys.stream, quarantine: keys.quarantine },
    ready,
    ensureGroup: createGroup,
    deliver(events) {
      if (closed)
        return Promise.resolve({
          ok: false,
          code: 'spool_unavailable',
          detail: 'The relay is shutting down.',
        });
      const write = store(events);
      writes.add(write);
      void write.finally(() => writes.delete(write));
      return write;
    },
    async stats() {
      const [length, bytes, quarantined, quarantineBytes, first, consumers] = await Promise.all([
        client.call('XLEN', keys.stream),
        client.call('GET', keys.bytes),
        client.call('XLEN', keys.quarantine),
        client.call('GET', keys.quarantineBytes),
        client.call('XRANGE', keys.stream, '-', '+', 'COUNT', 1),
        client.call('XINFO', 'CONSUMERS', keys.stream, GROUP).catch(() => []),
      ]);
      const list = (consumers as unknown[][]).map((fields) => {
        const info: Record<string, unknown> = {};
        for (let i = 0; i < fields.length; i += 2) info[String(fields[i])] = fields[i + 1];
        return {
          name: String(info.name),
          pending: Number(info.pending),
          idleMs: Number(info.idle),
        };
      });
      const inflight = list.reduce((sum, one) => sum + one.pending, 0);
      const oldest = toHeld((first as unknown[])[0]);
      const undeliveredBytes = Number(bytes ?? 0);
      return {
        pending: Number(length) - inflight,
        inflight,
        delivered: 0,
        quarantined: Number(quarantined),
        bytes: undeliveredBytes + Number(quarantineBytes ?? 0),
        undeliveredBytes,
        ...(oldest ? { oldestUndeliveredAt: idTime(oldest.id) } : {}),
        consumers: list,
      };
    },
    async prune(policy = {}, now = Date.now()) {
      const undeliveredMax = policy.undeliveredMaxAgeMs ?? RETENTION.undeliveredMaxAgeMs;
      const cutoff = `${Math.max(0, now - undeliveredMax)}-0`;
      const result: PruneResult = { delivered: 0, undelivered: 0, quarantined: 0, bytes: 0 };
      const steps = [
        { stream: keys.stream, bytes: keys.bytes, group: GROUP, state: 'undelivered' as const },
        {
          stream: keys.quarantine,
          bytes: keys.quarantineBytes,
          group: '',
          state: 'quarantined' as const,
        },
      ];
      for (const step of steps) {
        for (;;) {
          const removed = (await runScript(
            client,
            SCRIPTS.prune,
            [step.stream, step.bytes],
            [cutoff, PRUNE_STEP, step.group],
          )) as Array<string | number>;
          for (let i = 0; i < removed.length; i += 2) {
            result[step.state]++;
            result.bytes += Number(removed[i + 1]);
            retry.delete(String(removed[i]));
            if (step.state === 'undelivered')
              logger?.warn(
                'postern: pruned an entry never delivered within the retention period; its events are dropped',
                { id: removed[i], ageMs: now - idTime(String(removed[i])) },
              );
            onEvent?.({ type: 'pruned', id: String(removed[i]), state: step.state });
          }
          if (removed.length < PRUNE_STEP * 2) break;
        }
      }
      // Each relay start joins the group under a new name; the names of relays long gone are dropped here.
      // A live relay reads every poll, so it is never idle that long; one that holds entries is never dropped.
      const consumers = (await client
        .call('XINFO', 'CONSUMERS', keys.stream, GROUP)
        .catch(() => [])) as unknown[];
      for (const consumer of consumers.map(toConsumer))
        if (consumer.pending === 0 && consumer.idleMs > GONE_CONSUMER_IDLE_MS)
          await runScript(client, SCRIPTS.forgetConsumer, [keys.stream], [GROUP, consumer.name]);
      return result;
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      await Promise.allSettled(writes);
      await pumping;
      await Promise.allSettled(active.values());
    },
  };
}
