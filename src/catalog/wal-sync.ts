// The fsync half of a WAL commit, done by us on the thread pool instead of by SQLite on the event
// loop (DurableCommits, which stage commits and access rows share; the argument why this is as
// durable as synchronous=FULL is in docs/architecture.md, "Durable access rows with group commit").
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const fsync = promisify(fs.fsync);
const openFile = promisify(fs.open);
const fstat = promisify(fs.fstat);

/** Which file a commit's frames went to: the WAL as it is named right after the commit. */
export interface WalIdentity {
  dev: number;
  ino: number;
}

export class WalSync {
  readonly walFile: string;
  /** WAL files whose directory entry we have fsynced (SQLite does the same once per new WAL). */
  private readonly dirSynced = new Set<string>();
  /** The fsync running now (at most one at a time). */
  private running: Promise<void> | null = null;
  /** The next fsync, shared by every commit made while one runs: it starts when that one ends. */
  private queued: { written: WalIdentity[]; done: Promise<void> } | null = null;
  /**
   * WAL files one of our fsyncs failed on, for every WalSync of the process: after a failed fsync
   * the kernel may have dropped the pages and will not say so again to a new descriptor, so no
   * later fsync of ours on that file proves anything. Each user then lets SQLite sync its commits.
   */
  private static readonly failedFiles = new Set<string>();
  /** fsyncs started (tests: commits share them). */
  syncs = 0;
  /** The descriptor kept open on the WAL inode of the last fsync (see descriptorOf). */
  private open: (WalIdentity & { fd: number }) | null = null;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(dbFile: string) {
    this.walFile = `${dbFile}-wal`;
  }

  /** Called synchronously right after a commit, before anything else can touch the file. */
  identify(): WalIdentity {
    const st = fs.statSync(this.walFile);
    return { dev: st.dev, ino: st.ino };
  }

  /**
   * Group fsync: resolves once an fsync of the WAL that began after this call has returned.
   * Commits made while an fsync runs share the next one, which starts as soon as it ends (an
   * fsync already running may have begun before their frames were written).
   */
  after(written: WalIdentity): Promise<void> {
    if (!this.running) return this.start([written]);
    if (this.queued) {
      this.queued.written.push(written);
      return this.queued.done;
    }
    const queued = { written: [written], done: Promise.resolve() };
    queued.done = this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.start(queued.written);
      });
    this.queued = queued;
    return queued.done;
  }

  /** Resolves once every commit handed to `after` so far is durable (rejects if its fsync failed). */
  flushed(): Promise<void> {
    return this.queued?.done ?? this.running ?? Promise.resolve();
  }

  /** Whether an fsync of ours on this WAL file has failed (in this process). */
  get failed(): boolean {
    return WalSync.failedFiles.has(this.walFile);
  }

  private start(written: WalIdentity[]): Promise<void> {
    const run = this.syncAll(written).finally(() => {
      if (this.running === run) this.running = null;
    });
    this.running = run;
    return run;
  }

  private async syncAll(written: WalIdentity[]): Promise<void> {
    this.syncs++;
    const [first, ...rest] = written;
    if (rest.some((w) => w.dev !== first!.dev || w.ino !== first!.ino))
      throw new Error(`${this.walFile} was replaced between commits; nothing can be promised about them`);
    await this.sync(first!);
  }

  /**
   * fsync(2) of the WAL file, proven to be the file the commits wrote to: fsync flushes every
   * written page of the inode, whichever descriptor wrote it. Rejects when the name now holds
   * another file (nothing can then be promised about the frames) or when the flush fails.
   */
  private async sync(written: WalIdentity): Promise<void> {
    if (this.failed) throw new Error(`an earlier fsync of ${this.walFile} failed; nothing can be promised since`);
    this.stopIdleTimer(); // not closed under a running fsync
    const fd = await this.descriptorOf(written);
    try {
      await fsync(fd);
    } catch (err) {
      WalSync.failedFiles.add(this.walFile);
      throw err;
    } finally {
      this.closeWhenIdle();
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

  /**
   * A descriptor on the inode the commits wrote to. Kept open between fsyncs while commits keep
   * coming (opening, checking and closing it each time cost three more trips to the thread pool
   * per fsync); opened again, and checked again, when the WAL under the name is another inode.
   */
  private async descriptorOf(written: WalIdentity): Promise<number> {
    if (this.open && this.open.dev === written.dev && this.open.ino === written.ino) return this.open.fd;
    this.closeNow();
    const fd = await openFile(this.walFile, 'r');
    const st = await fstat(fd);
    if (st.dev !== written.dev || st.ino !== written.ino) {
      fs.close(fd, () => undefined);
      throw new Error(`${this.walFile} is no longer the file the rows were committed to`);
    }
    this.open = { fd, dev: st.dev, ino: st.ino };
    return fd;
  }

  /** Closes the kept descriptor a second after the last fsync: an idle catalog holds none. */
  private closeWhenIdle(): void {
    this.stopIdleTimer();
    this.idleTimer = setTimeout(() => this.closeNow(), 1000);
    this.idleTimer.unref();
  }

  private stopIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private closeNow(): void {
    this.stopIdleTimer();
    if (this.open) fs.close(this.open.fd, () => undefined);
    this.open = null;
  }
}
