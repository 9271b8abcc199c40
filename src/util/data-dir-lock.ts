// One daemon per data directory. Two would sweep each other's in-flight spool writes and seal
// the same revision twice. The lock file holds the owner's pid; a lock left by a process that
// no longer runs (kill -9, power loss) is taken over.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { SealdockError } from '../errors.js';

export interface DataDirLock {
  release(): Promise<void>;
}

function ownerAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A recycled pid belongs to some other program: only a sealdock process holds the lock.
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sealdock');
  } catch {
    return true;
  }
}

export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const file = path.join(dataDir, 'daemon.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fsp.writeFile(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return { release: () => fsp.rm(file, { force: true }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number((await fsp.readFile(file, 'utf8').catch(() => '')).trim());
    if (ownerAlive(pid)) {
      throw new SealdockError(
        'CONFLICT',
        `another sealdock daemon (pid ${pid}) is running on ${dataDir}; stop it first`,
      );
    }
    await fsp.rm(file, { force: true });
  }
  throw new SealdockError('CONFLICT', `could not take the lock ${file}`);
}
