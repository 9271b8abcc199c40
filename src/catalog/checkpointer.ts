// WAL checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside whichever
// commit crosses 1,000 WAL pages, on the connection that commits: on the event loop, with two
// fsyncs, stalling every request for milliseconds (the API bench's p99) and doubling the cost of
// an audited read's commit (bench/api.mjs). Here a second connection on a worker thread copies
// the WAL into the database file a few times a second, so the event loop's commits only append.
// Durability does not change: a checkpoint syncs the WAL before copying and the database after,
// whichever connection runs it, and the WAL is restarted only after a complete one.
import { Worker } from 'node:worker_threads';
import type { Db } from './db.js';
import { workerScript } from './worker-script.js';

/**
 * The catalog connection's own automatic checkpoint stays on, this many pages apart (~40 MB of
 * WAL), as a backstop if the thread falls behind or has failed: the WAL stays bounded either way.
 */
export const BACKSTOP_PAGES = 10_000;

export interface Checkpointer {
  stop(): Promise<void>;
}

export interface CheckpointerOptions {
  intervalMs?: number;
  /** Told once per run of failures (the backstop keeps the WAL bounded meanwhile). */
  onError?: (message: string) => void;
}

/** Null for a catalog that has no WAL to checkpoint (in memory, read-only). */
export function startCheckpointer(db: Db, opts: CheckpointerOptions = {}): Checkpointer | null {
  if (db.memory || db.readonly || db.pragma('journal_mode', { simple: true }) !== 'wal') return null;
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  const worker = new Worker(workerScript(import.meta.url, 'checkpoint-worker'), {
    workerData: { file: db.name, intervalMs: opts.intervalMs ?? 200 },
  });
  worker.unref(); // a catalog left open must not keep a process alive
  let exited = false;
  worker.once('exit', () => (exited = true));
  let stopped: Promise<void> | null = null;
  worker.on('message', (m: { error?: string }) => {
    if (m.error) opts.onError?.(m.error);
  });
  worker.on('error', (err) => opts.onError?.(err.message));
  return {
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        if (exited) return resolve();
        worker.once('exit', () => resolve());
        worker.ref(); // an unref'd worker's exit would not keep this process waiting for it
        worker.postMessage({ stop: true });
      })),
  };
}
