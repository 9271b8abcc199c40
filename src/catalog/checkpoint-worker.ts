// The checkpointer's thread (catalog/checkpointer.ts). Self-contained: started as a file of its
// own (catalog/worker-script.ts), it imports only node built-ins and better-sqlite3.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new Database(file, { fileMustExist: true });
// FULL, like the catalog connection: the WAL is synced before its frames are copied into the
// database file, and the database file after (https://www.sqlite.org/pragma.html#pragma_synchronous).
db.pragma('synchronous = FULL');
// This connection never checkpoints inside a commit of its own: it commits nothing.
db.pragma('wal_autocheckpoint = 0');

let failures = 0;
const checkpoint = () => {
  try {
    // PASSIVE copies what it can without waiting on readers or writers, so it never holds up a
    // commit of the daemon; what it could not copy is copied next time.
    db.pragma('wal_checkpoint(PASSIVE)');
    failures = 0;
  } catch (err) {
    // One message per run of failures: the daemon logs it; its own backstop checkpoint
    // (wal_autocheckpoint on its connection) keeps the WAL bounded meanwhile.
    if (failures++ === 0) parentPort!.postMessage({ error: String((err as Error).message ?? err) });
  }
};
const timer = setInterval(checkpoint, intervalMs);
parentPort!.on('message', (m: { stop?: boolean }) => {
  if (!m.stop) return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
