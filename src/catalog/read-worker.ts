// One group of read-only statements on a connection of its own (catalog/parallel-reads.ts).
// Self-contained: started as a file of its own, it imports only node built-ins and better-sqlite3.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, statements } = workerData as { file: string; statements: { sql: string; args: unknown[] }[] };
try {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    db.pragma('query_only = 1'); // reads only, whatever SQL it was handed
    const results = statements.map((s) => db.prepare(s.sql).all(...s.args));
    parentPort!.postMessage({ results });
  } finally {
    db.close();
  }
} catch (err) {
  parentPort!.postMessage({ error: String((err as Error).message ?? err) });
}
