// Long read-only scans on threads of their own: each group of statements runs on a worker with
// its own connection, the groups at once. For the yearly report, whose five index scans of every
// item of a year took 0.5-0.7 s one after the other at 1M items on the event loop (the API's) or
// in the CLI; on two cores the groups run side by side and the event loop stays free.
import { Worker } from 'node:worker_threads';
import type { Db } from './db.js';
import { workerScript } from './worker-script.js';

export interface ReadStatement {
  sql: string;
  args: unknown[];
}

/** Every statement's rows, group by group; on the catalog's own connection when it has no file. */
export async function readInParallel(db: Db, groups: ReadStatement[][]): Promise<unknown[][][]> {
  if (db.memory) return groups.map((g) => g.map((s) => db.prepare(s.sql).all(...s.args)));
  const script = workerScript(import.meta.url, 'read-worker');
  return Promise.all(
    groups.map(
      (statements) =>
        new Promise<unknown[][]>((resolve, reject) => {
          const worker = new Worker(script, { workerData: { file: db.name, statements } });
          worker.once('message', (m: { results?: unknown[][]; error?: string }) =>
            m.error !== undefined ? reject(new Error(`catalog read failed: ${m.error}`)) : resolve(m.results!),
          );
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`catalog reader thread exited (${code}) without an answer`)));
        }),
    ),
  );
}
