// The fsync half of a WAL commit, done by us on the thread pool instead of by SQLite on the event
// loop (AuditLog.appendDurable; the argument why this is as durable as synchronous=FULL is in
// docs/architecture.md, "Durable access rows with group commit").
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

/** Which file a commit's frames went to: the WAL as it is named right after the commit. */
export interface WalIdentity {
  dev: number;
  ino: number;
}

export class WalSync {
  readonly walFile: string;
  /** WAL files whose directory entry we have fsynced (SQLite does the same once per new WAL). */
  private readonly dirSynced = new Set<string>();

  constructor(dbFile: string) {
    this.walFile = `${dbFile}-wal`;
  }

  /** Called synchronously right after a commit, before anything else can touch the file. */
  identify(): WalIdentity {
    const st = fs.statSync(this.walFile);
    return { dev: st.dev, ino: st.ino };
  }

  /**
   * fsync(2) of the WAL file, proven to be the file the commits wrote to: fsync flushes every
   * written page of the inode, whichever descriptor wrote it. Rejects when the name now holds
   * another file (nothing can then be promised about the frames) or when the flush fails.
   */
  async sync(written: WalIdentity): Promise<void> {
    const handle = await fsp.open(this.walFile, 'r');
    try {
      const st = await handle.stat();
      if (st.dev !== written.dev || st.ino !== written.ino)
        throw new Error(`${this.walFile} is no longer the file the audit rows were committed to`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    const id = `${written.dev}:${written.ino}`;
    if (!this.dirSynced.has(id)) {
      const dir = await fsp.open(path.dirname(this.walFile), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      this.dirSynced.add(id);
    }
  }
}
