import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCatalog } from '../../src/catalog/db.js';
import { readInParallel } from '../../src/catalog/parallel-reads.js';

describe('reads on threads of their own', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-reads-')), 'catalog.sqlite');
  const db = openCatalog(file);
  db.exec('CREATE TABLE t (n INTEGER)');
  db.prepare(
    'WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 100) INSERT INTO t SELECT n FROM s',
  ).run();

  it('answers each group in order, each statement with its rows, committed rows included', async () => {
    const [a, b] = await readInParallel(db, [
      [{ sql: 'SELECT COUNT(*) AS c FROM t', args: [] }],
      [
        { sql: 'SELECT n FROM t WHERE n <= ? ORDER BY n', args: [2] },
        { sql: 'SELECT SUM(n) AS s FROM t', args: [] },
      ],
    ]);
    expect(a).toEqual([[{ c: 100 }]]);
    expect(b).toEqual([[{ n: 1 }, { n: 2 }], [{ s: 5050 }]]);
  });

  it('refuses to write, and says which read failed', async () => {
    await expect(readInParallel(db, [[{ sql: 'DELETE FROM t', args: [] }]])).rejects.toThrow(/catalog read failed/);
    await expect(readInParallel(db, [[{ sql: 'SELECT * FROM missing', args: [] }]])).rejects.toThrow(
      /no such table: missing/,
    );
    expect(db.prepare('SELECT COUNT(*) AS c FROM t').get()).toEqual({ c: 100 });
  });

  it('runs on the catalog connection itself when it has no file', async () => {
    const memory = openCatalog(':memory:');
    expect(await readInParallel(memory, [[{ sql: 'SELECT 7 AS x', args: [] }]])).toEqual([[[{ x: 7 }]]]);
    memory.close();
  });
});
