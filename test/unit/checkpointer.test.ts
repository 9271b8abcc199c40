import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/catalog/audit-repo.js';
import { BACKSTOP_PAGES, startCheckpointer } from '../../src/catalog/checkpointer.js';
import { openCatalog } from '../../src/catalog/db.js';

const waitFor = async (what: string, done: () => boolean) => {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!done()) throw new Error(`timed out waiting for ${what}`);
};

describe('checkpointer', () => {
  it('copies committed WAL frames into the database file from a thread of its own', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-ckpt-')), 'catalog.sqlite');
    const db = openCatalog(file);
    const checkpointer = startCheckpointer(db, { intervalMs: 20 })!;
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
    const before = fs.statSync(file).size;
    const log = new AuditLog(db);
    // ~4 MB of rows in one commit: below the backstop, so only the thread can move them.
    db.transaction(() => {
      for (let i = 0; i < 2000; i++)
        log.append({ actor: 'x', action: 'access', evidenceId: `ev-${i}`, details: { pad: 'x'.repeat(1500) } });
    })();
    await waitFor('the database file to take the rows', () => fs.statSync(file).size > before + 3_000_000);
    await checkpointer.stop();
    await checkpointer.stop(); // twice is harmless
    expect(log.verify()).toMatchObject({ ok: true, rows: 2000 });
    db.close();
    // reopened from the file alone, nothing missing
    fs.rmSync(`${file}-wal`, { force: true });
    fs.rmSync(`${file}-shm`, { force: true });
    const again = openCatalog(file);
    expect(new AuditLog(again).verify()).toMatchObject({ ok: true, rows: 2000 });
    again.close();
  });

  it('is not started for a catalog without a WAL', () => {
    const db = openCatalog(':memory:');
    expect(startCheckpointer(db)).toBeNull();
    db.close();
  });
});
