import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Who holds a spool entry or a temp file: enough to tell a live holder from a dead one. */
export interface Owner {
  host: string;
  pid: number;
  /** Random per process start, so a restarted process that got the same pid (pid 1 in a container) is not taken for its predecessor. */
  boot: string;
}

// Kept on globalThis so that two copies of this module in one process (a bundled and an unbundled one) agree on who "we" are.
const BOOT_KEY = Symbol.for('postern.spool.boot');
const registry = globalThis as { [BOOT_KEY]?: string };
registry[BOOT_KEY] ??= randomBytes(4).toString('hex');

export const SELF: Owner = {
  host: hostname().replace(/[^A-Za-z0-9.-]/g, '_') || 'host',
  pid: process.pid,
  boot: registry[BOOT_KEY],
};

/**
 * true: the holder is this process or a live process on this host; false: it is certainly gone;
 * undefined: another host, so only the lease time can tell.
 */
export function ownerAlive(owner: Owner): boolean | undefined {
  if (owner.host !== SELF.host) return undefined;
  if (owner.pid === SELF.pid) return owner.boot === SELF.boot;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
