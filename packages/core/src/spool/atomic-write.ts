import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SELF } from './owner.js';

/** Temp files live in this subdirectory of the target directory: same filesystem, so the final rename is atomic. */
export const TMP_DIR = '.tmp';

/**
 * Spool and local-event files hold users' events: readable and writable by the relay's user only. The
 * process umask can only take bits away from these modes, never add any, so they hold under any umask (a
 * stricter one, 077, changes nothing). A rename keeps a file's mode, so every state of an entry keeps it.
 */
export const FILE_MODE = 0o600;
/** Directories the spool creates (and their missing parents): for the relay's user only. */
export const DIR_MODE = 0o700;

async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `data` to `dir/name` so that after a crash the file is either absent or complete: write a temp
 * file, fsync it, rename it into place, fsync the directory so the rename itself survives a power cut.
 * The file is created with `FILE_MODE` (0600).
 */
export async function writeFileDurably(dir: string, name: string, data: string): Promise<void> {
  const temp = join(dir, TMP_DIR, `${name}~${SELF.host}~${SELF.pid}~${SELF.boot}.tmp`);
  try {
    const handle = await open(temp, 'wx', FILE_MODE);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, name));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}
