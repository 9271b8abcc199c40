import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/catalog/audit-repo.js';
import { openCatalog } from '../../src/catalog/db.js';
import { DurableCommits } from '../../src/catalog/durable-commits.js';

function freshCatalog() {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-commits-')), 'catalog.sqlite');
  return { file, db: openCatalog(file) };
}

describe('DurableCommits (stage commits: durable before the caller goes on, the fsync off the event loop)', () => {
  it('commits each change, shares fsyncs between concurrent commits, and leaves the connection at FULL', async () => {
    const { file, db } = freshCatalog();
    const log = new AuditLog(db);
    const commits = new DurableCommits(db);
    log.append({ actor: 'x', action: 'received' }); // the WAL exists
    const before = commits.fsyncs;
    const rows = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        commits.commit(() => log.append({ actor: 'daemon', action: 'preserved', evidenceId: `ev-${i}` })),
      ),
    );
    expect(rows.map((r) => r.evidenceId)).toEqual(Array.from({ length: 30 }, (_, i) => `ev-${i}`));
    const fsyncs = commits.fsyncs - before;
    expect(fsyncs).toBeGreaterThanOrEqual(1);
    expect(fsyncs).toBeLessThan(30);
    await commits.durable();
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    // another connection (another process would see the same) reads every row, chain intact
    const other = new Database(file, { readonly: true });
    expect((other.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n).toBe(31);
    other.close();
    expect(log.verify()).toMatchObject({ ok: true, rows: 31 });
  });

  it('commits nothing when its function throws, and joins a transaction it is called in', async () => {
    const { db } = freshCatalog();
    const log = new AuditLog(db);
    const commits = new DurableCommits(db);
    await expect(
      commits.commit(() => {
        log.append({ actor: 'daemon', action: 'preserved', evidenceId: 'ev-1' });
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(log.list()).toHaveLength(0);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(() =>
      db.transaction(() => {
        void commits.commit(() => log.append({ actor: 'daemon', action: 'preserved', evidenceId: 'ev-2' }));
        throw new Error('outer rolls back');
      })(),
    ).toThrow('outer rolls back');
    expect(log.list()).toHaveLength(0);
    // a throw inside, within a transaction, reaches the transaction and rolls all of it back
    expect(() =>
      db.transaction(() => {
        log.append({ actor: 'daemon', action: 'received', evidenceId: 'ev-3' });
        void commits.commit(() => {
          throw new Error('inner refused');
        });
      })(),
    ).toThrow('inner refused');
    expect(log.list()).toHaveLength(0);
  });
});
