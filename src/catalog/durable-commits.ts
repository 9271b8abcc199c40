// Commits that are durable before their caller goes on, without the fsync on the event loop: the
// pipeline's stage commits and the access rows' group commits (AuditLog.appendDurable), one
// pipeline per connection (EvidenceRepo.durableCommits). SQLite's synchronous=FULL fsyncs the WAL inside COMMIT, on whichever
// thread commits (ours runs everything else too); in the shift-change burst those fsyncs held the
// event loop for 9–11 s out of 33–38 s. Here a commit runs with NORMAL and is followed by our fsync
// of the same WAL inode on the thread pool, shared with every commit made meanwhile (WalSync.after):
// exactly FULL's durability (the argument is in docs/architecture.md, "Durable access rows with
// group commit"), resolved only once that fsync has returned.
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import { WalSync } from './wal-sync.js';

export class DurableCommits {
  /** Null when SQLite's own sync is all there is to rely on (in memory, read-only, not WAL, below FULL). */
  private readonly walSync: WalSync | null;
  private readonly synchronous: number;
  /** Prepared at the first commit: SQLite refuses to prepare them inside a transaction. */
  private pragmas: { normal: Statement; restore: Statement } | null = null;

  constructor(private readonly db: Db) {
    this.synchronous = db.memory || db.readonly ? 0 : (db.pragma('synchronous', { simple: true }) as number);
    const wal = this.synchronous >= 2 && db.pragma('journal_mode', { simple: true }) === 'wal';
    this.walSync = wal ? new WalSync(db.name) : null;
  }

  /**
   * Runs `fn` (writes of any repository) in one IMMEDIATE transaction and resolves with its result
   * once the commit is durable. Inside another transaction `fn` just joins it (a throw propagates
   * at once and rolls it back): that transaction's commit decides. After a failed fsync of ours,
   * SQLite syncs each commit itself again (its descriptor sees the error).
   */
  commit<T>(fn: () => T): Promise<T> {
    if (this.db.inTransaction) return Promise.resolve(fn());
    try {
      if (this.walSync === null || this.walSync.failed) return Promise.resolve(this.db.transaction(fn).immediate());
      const pragmas = (this.pragmas ??= {
        normal: this.db.prepare('PRAGMA synchronous = NORMAL'),
        restore: this.db.prepare(`PRAGMA synchronous = ${this.synchronous}`),
      });
      pragmas.normal.run();
      let result: T;
      try {
        result = this.db.transaction(fn).immediate();
      } finally {
        pragmas.restore.run();
      }
      return this.walSync.after(this.walSync.identify()).then(() => result);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Resolves once every commit made here so far is durable (rejects if its fsync failed). A row
   * is visible to readers from its commit, one fsync before that: whoever acts irreversibly on what
   * another part committed (deleting a dock file, sealing audit rows) waits for this first.
   */
  durable(): Promise<void> {
    return this.walSync?.flushed() ?? Promise.resolve();
  }

  /** Our fsyncs of the WAL so far (tests: concurrent commits share them). */
  get fsyncs(): number {
    return this.walSync?.syncs ?? 0;
  }
}
