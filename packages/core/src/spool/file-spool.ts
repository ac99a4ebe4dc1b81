import { mkdir, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { RelayLogger, SpoolEvent } from '../options.js';
import { DIR_MODE, TMP_DIR, writeFileDurably } from './atomic-write.js';
import {
  deliveredName,
  inflightName,
  newEntryId,
  parseEntryName,
  pendingName,
  quarantinedName,
  type EntryName,
} from './layout.js';
import { ownerAlive, SELF } from './owner.js';

export interface SpoolEntry extends EntryName {
  bytes: number;
}

export interface SpoolStats {
  pending: number;
  inflight: number;
  delivered: number;
  quarantined: number;
  /** Every entry file. */
  bytes: number;
  /** Pending and inflight entries: events still owed to the upstream. */
  undeliveredBytes: number;
  oldestUndeliveredAt?: number;
}

/** An entry this process holds exclusively until it calls one of delivered, release or quarantine. */
export interface Claim {
  id: string;
  events(): Promise<Record<string, unknown>[]>;
  /** false when another process broke the lease meanwhile (the entry may then be delivered twice, never lost). */
  delivered(): Promise<boolean>;
  release(): Promise<void>;
  quarantine(reason: string, status?: number): Promise<void>;
  /** Deletes the entry (retention only); false when it was already gone. */
  discard(): Promise<boolean>;
}

export interface RetentionPolicy {
  /** Default 24 h. */
  deliveredMaxAgeMs?: number;
  /** Pending and quarantined entries; default 7 days. */
  undeliveredMaxAgeMs?: number;
}

export const RETENTION = {
  deliveredMaxAgeMs: 24 * 3600_000,
  undeliveredMaxAgeMs: 7 * 24 * 3600_000,
} as const;

export interface PruneResult {
  delivered: number;
  undelivered: number;
  quarantined: number;
  bytes: number;
}

export interface FileSpoolOptions {
  dir: string;
  maxBytes: number;
  /** How long a claim holds before another process may take the entry over; longer than one upstream attempt. */
  leaseMs: number;
  logger?: RelayLogger;
  onEvent?: (event: SpoolEvent) => void;
}

export interface FileSpool {
  readonly dir: string;
  /** Creates the directory, proves it writable, clears dead temp files and counts what is there. */
  init(): Promise<void>;
  /**
   * Stores a batch durably; `full` when it would take the spool over `maxBytes` even after evicting delivered
   * entries. Throws `SpoolSerializationError` for a batch that cannot be serialised (nothing is written),
   * and the filesystem's error when the write fails.
   */
  store(
    events: readonly Record<string, unknown>[],
  ): Promise<{ ok: true; id: string } | { ok: false; full: true }>;
  list(): Promise<SpoolEntry[]>;
  /** Takes a pending entry for this process alone; undefined when it is gone or another process has it. */
  claim(id: string): Promise<Claim | undefined>;
  /** Puts back entries whose holder died or overran its lease; returns how many. */
  recoverStale(now?: number): Promise<number>;
  prune(policy?: RetentionPolicy, now?: number): Promise<PruneResult>;
  stats(): Promise<SpoolStats>;
}

const TEMP_MAX_AGE_MS = 3600_000;

/**
 * A batch that could not be turned into JSON (nested deeper than `JSON.stringify` can recurse, say): the
 * disk was never touched, so this is not the spool failing and must not be reported as one.
 */
export class SpoolSerializationError extends Error {
  constructor(cause: unknown) {
    super(
      `the batch could not be serialised: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`,
      { cause },
    );
    this.name = 'SpoolSerializationError';
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * The spool directory: crash-safe writes, claims by atomic rename (two processes sharing the directory
 * never hold one entry at once), stale-claim recovery, eviction and retention.
 */
export function openFileSpool(options: FileSpoolOptions): FileSpool {
  const { dir, maxBytes, leaseMs, logger, onEvent } = options;
  /** Bytes of entry files as last counted, plus bytes this process reserved for writes in progress. */
  let listedBytes = 0;
  let reservedBytes = 0;
  let making: Promise<void> | undefined;

  const path = (name: string): string => join(dir, name);

  async function list(): Promise<SpoolEntry[]> {
    const names = await readdir(dir);
    const entries: SpoolEntry[] = [];
    for (const name of names.sort()) {
      const parsed = parseEntryName(name);
      if (!parsed) continue;
      try {
        entries.push({ ...parsed, bytes: (await stat(path(name))).size });
      } catch (error) {
        if (!isMissing(error)) throw error; // claimed or pruned meanwhile by another process
      }
    }
    listedBytes = entries.reduce((sum, entry) => sum + entry.bytes, 0);
    return entries;
  }

  async function removeDeadTemps(): Promise<void> {
    const tmp = join(dir, TMP_DIR);
    for (const name of await readdir(tmp)) {
      const [, host, pid, boot] = name.replace(/\.tmp$/, '').split('~');
      const owner = host && pid && boot ? ownerAlive({ host, pid: Number(pid), boot }) : false;
      let old = false;
      try {
        old = Date.now() - (await stat(join(tmp, name))).mtimeMs > TEMP_MAX_AGE_MS;
      } catch (error) {
        if (isMissing(error)) continue;
        throw error;
      }
      // A temp file was never answered 202 for: its writer died before the rename, so removing it loses nothing.
      if (owner === false || (owner === undefined && old))
        await rm(join(tmp, name), { force: true });
    }
  }

  /** Evicts delivered entries, then quarantined ones, oldest first, until `needed` more bytes fit. */
  async function makeRoom(needed: number): Promise<void> {
    const entries = await list();
    const victims = [
      ...entries.filter((entry) => entry.state === 'delivered'),
      ...entries.filter((entry) => entry.state === 'quarantined'),
    ];
    for (const victim of victims) {
      if (listedBytes + reservedBytes + needed <= maxBytes) return;
      try {
        await unlink(path(victim.name));
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
      listedBytes -= victim.bytes;
      const reason = victim.state === 'delivered' ? 'delivered' : 'quarantined';
      logger?.warn('postern: spool over maxSpoolBytes; evicted the oldest entry', {
        id: victim.id,
        state: reason,
        bytes: victim.bytes,
      });
      onEvent?.({ type: 'evicted', id: victim.id, bytes: victim.bytes, reason });
    }
  }

  function fits(size: number): boolean {
    return listedBytes + reservedBytes + size <= maxBytes;
  }

  function claimFor(id: string, name: string): Claim {
    let current = name;
    const move = async (to: string): Promise<boolean> => {
      try {
        await rename(path(current), path(to));
        current = to;
        return true;
      } catch (error) {
        if (isMissing(error)) return false;
        throw error;
      }
    };
    return {
      id,
      async events() {
        const entry = JSON.parse(await readFile(path(current), 'utf8')) as { events?: unknown };
        if (!Array.isArray(entry.events)) throw new Error('the entry holds no "events" array');
        return entry.events as Record<string, unknown>[];
      },
      async delivered() {
        const moved = await move(deliveredName(id));
        if (moved) onEvent?.({ type: 'delivered', id });
        else
          logger?.warn(
            'postern: a spool entry was delivered after its lease was taken over; it may arrive twice',
            { id },
          );
        return moved;
      },
      async release() {
        await move(pendingName(id));
      },
      async quarantine(reason, status) {
        if (await move(quarantinedName(id))) {
          logger?.error(
            'postern: the upstream refused a spool entry for good; it is quarantined, not retried',
            { id, reason, ...(status === undefined ? {} : { status }) },
          );
          onEvent?.({
            type: 'quarantined',
            id,
            reason,
            ...(status === undefined ? {} : { status }),
          });
        }
      },
      discard: () => removeIfPresent(path(current)),
    };
  }

  async function claim(id: string): Promise<Claim | undefined> {
    const name = inflightName(id, SELF, Date.now());
    try {
      await rename(path(pendingName(id)), path(name));
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    return claimFor(id, name);
  }

  return {
    dir,
    async init() {
      // 0700 for the directory, its .tmp and any missing parent; an existing directory keeps its mode (doctor warns).
      await mkdir(join(dir, TMP_DIR), { recursive: true, mode: DIR_MODE });
      await removeDeadTemps();
      await list();
    },
    async store(events) {
      const id = newEntryId();
      let data: string;
      try {
        data = JSON.stringify({
          version: 1,
          id,
          received_at: new Date(Number(id.slice(0, 13))).toISOString(),
          events,
        });
      } catch (error) {
        throw new SpoolSerializationError(error);
      }
      const size = Buffer.byteLength(data);
      if (!fits(size)) {
        // One eviction pass at a time: concurrent requests wait for it instead of listing the directory each.
        making ??= makeRoom(size).finally(() => {
          making = undefined;
        });
        await making;
        if (!fits(size)) {
          onEvent?.({ type: 'refused', code: 'spool_full' });
          return { ok: false, full: true };
        }
      }
      reservedBytes += size;
      try {
        await writeFileDurably(dir, pendingName(id), data);
        listedBytes += size;
      } finally {
        reservedBytes -= size;
      }
      onEvent?.({ type: 'stored', bytes: size });
      return { ok: true, id };
    },
    list,
    claim,
    async recoverStale(now = Date.now()) {
      let recovered = 0;
      for (const entry of await list()) {
        if (entry.state !== 'inflight' || !entry.owner) continue;
        const alive = ownerAlive(entry.owner);
        if (alive === true && now - entry.owner.claimedAt <= leaseMs) continue;
        if (alive === undefined && now - entry.owner.claimedAt <= leaseMs) continue;
        try {
          // Only one process wins this rename; the others find the source gone.
          await rename(path(entry.name), path(pendingName(entry.id)));
          recovered++;
          logger?.warn('postern: recovered a spool entry whose holder died or overran its lease', {
            id: entry.id,
            holderPid: entry.owner.pid,
          });
        } catch (error) {
          if (!isMissing(error)) throw error;
        }
      }
      return recovered;
    },
    async prune(policy = {}, now = Date.now()) {
      const deliveredMax = policy.deliveredMaxAgeMs ?? RETENTION.deliveredMaxAgeMs;
      const undeliveredMax = policy.undeliveredMaxAgeMs ?? RETENTION.undeliveredMaxAgeMs;
      const result: PruneResult = { delivered: 0, undelivered: 0, quarantined: 0, bytes: 0 };
      for (const entry of await list()) {
        const age = now - entry.receivedAt;
        if (entry.state === 'delivered' && age > deliveredMax) {
          if (await removeIfPresent(path(entry.name))) {
            result.delivered++;
            result.bytes += entry.bytes;
            onEvent?.({ type: 'pruned', id: entry.id, state: 'delivered' });
          }
        } else if (entry.state === 'quarantined' && age > undeliveredMax) {
          if (await removeIfPresent(path(entry.name))) {
            result.quarantined++;
            result.bytes += entry.bytes;
            onEvent?.({ type: 'pruned', id: entry.id, state: 'quarantined' });
          }
        } else if (entry.state === 'pending' && age > undeliveredMax) {
          // Claim first, so an entry being delivered right now is never deleted under its holder.
          const claimed = await claim(entry.id);
          if (claimed && (await claimed.discard())) {
            result.undelivered++;
            result.bytes += entry.bytes;
            logger?.warn(
              'postern: pruned an entry never delivered within the retention period; its events are dropped',
              { id: entry.id, ageMs: age },
            );
            onEvent?.({ type: 'pruned', id: entry.id, state: 'undelivered' });
          }
        }
      }
      listedBytes -= result.bytes;
      return result;
    },
    async stats() {
      const entries = await list();
      const stats: SpoolStats = {
        pending: 0,
        inflight: 0,
        delivered: 0,
        quarantined: 0,
        bytes: 0,
        undeliveredBytes: 0,
      };
      for (const entry of entries) {
        stats[entry.state]++;
        stats.bytes += entry.bytes;
        if (entry.state === 'pending' || entry.state === 'inflight') {
          stats.undeliveredBytes += entry.bytes;
          stats.oldestUndeliveredAt = Math.min(
            stats.oldestUndeliveredAt ?? Infinity,
            entry.receivedAt,
          );
        }
      }
      return stats;
    },
  };
}

async function removeIfPresent(file: string): Promise<boolean> {
  try {
    await unlink(file);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}
