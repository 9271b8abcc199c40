// Durability: a file is durable once its data and the directory entry naming it are fsynced.
// One helper for both (opening read-only is enough to fsync a file or a directory on Linux).
import fs from 'node:fs/promises';

export async function fsyncPath(target: string | Buffer): Promise<void> {
  const handle = await fs.open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
