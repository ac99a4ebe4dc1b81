import { randomBytes } from 'node:crypto';
import type { Owner } from './owner.js';

/**
 * One spool entry is one file whose name says its state, so every state change is one atomic rename of
 * the same file and `ls` shows a person what is waiting:
 *
 *   <id>.json                                        accepted, waiting for delivery
 *   <id>.inflight~<host>~<pid>~<boot>~<claimedAt>    claimed by one process (the rename is the claim)
 *   <id>.delivered                                   the upstream took it (the `.delivered` marker)
 *   <id>.quarantined                                 the upstream refused it for good (4xx other than 408/429)
 *
 * `<id>` is `<received ms, 13 digits>-<12 hex>`, so names sort oldest first.
 */
export type EntryState = 'pending' | 'inflight' | 'delivered' | 'quarantined';

export interface EntryName {
  id: string;
  state: EntryState;
  name: string;
  receivedAt: number;
  /** Inflight entries only: who claimed it and when. */
  owner?: Owner & { claimedAt: number };
}

const ID = /^(\d{13})-[0-9a-f]{12}$/;

export function newEntryId(now: number = Date.now()): string {
  return `${String(now).padStart(13, '0')}-${randomBytes(6).toString('hex')}`;
}

export const pendingName = (id: string): string => `${id}.json`;
export const deliveredName = (id: string): string => `${id}.delivered`;
export const quarantinedName = (id: string): string => `${id}.quarantined`;
export const inflightName = (id: string, owner: Owner, claimedAt: number): string =>
  `${id}.inflight~${owner.host}~${owner.pid}~${owner.boot}~${claimedAt}`;

/** Reads a file name of the spool; anything else (temp files, a person's notes) is undefined and left alone. */
export function parseEntryName(name: string): EntryName | undefined {
  const dot = name.indexOf('.');
  if (dot === -1) return undefined;
  const id = name.slice(0, dot);
  const match = ID.exec(id);
  if (!match) return undefined;
  const receivedAt = Number(match[1]);
  const rest = name.slice(dot + 1);
  if (rest === 'json') return { id, state: 'pending', name, receivedAt };
  if (rest === 'delivered') return { id, state: 'delivered', name, receivedAt };
  if (rest === 'quarantined') return { id, state: 'quarantined', name, receivedAt };
  const parts = rest.split('~');
  if (parts.length !== 5 || parts[0] !== 'inflight') return undefined;
  const pid = Number(parts[2]);
  const claimedAt = Number(parts[4]);
  if (!Number.isInteger(pid) || !Number.isInteger(claimedAt)) return undefined;
  return {
    id,
    state: 'inflight',
    name,
    receivedAt,
    owner: { host: parts[1] as string, pid, boot: parts[3] as string, claimedAt },
  };
}
