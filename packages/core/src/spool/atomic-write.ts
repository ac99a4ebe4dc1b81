import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SELF } from './owner.js';

/** Temp files live in this subdirectory of the target directory: same filesystem, so the final rename is atomic. */
export const TMP_DIR = '.tmp';

async function syncDirectory(dir: string): Promise<void> {
  let handle;
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
 */
export async function writeFileDurably(dir: string, name: string, data: string): Promise<void> {
  const temp = join(dir, TMP_DIR, `${name}~${SELF.host}~${SELF.pid}~${SELF.boot}.tmp`);
  try {
    const handle = await open(temp, 'wx');
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
