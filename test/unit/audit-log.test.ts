import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog, GENESIS_HASH } from '../../src/catalog/audit-repo.js';
import { openCatalog } from '../../src/catalog/db.js';
import { MIGRATIONS } from '../../src/catalog/migrations.js';

function freshCatalog() {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-audit-')), 'catalog.sqlite');
  return { file, db: openCatalog(file) };
}

describe('audit log', () => {
  it('chains every row to the previous one', () => {
    const { db } = freshCatalog();
    const log = new AuditLog(db);
    const a = log.append({
      actor: 'cli:alice',
      action: 'element-changed',
      evidenceId: 'ev-1',
      details: { case: '案-1' },
    });
    const b = log.append({ actor: 'api:tok1', action: 'access', details: { reason: '复核' } });
    expect(a.prevHash).toBe(GENESIS_HASH);
    expect(b.prevHash).toBe(a.hash);
    expect(log.verify()).toMatchObject({ ok: true, rows: 2, lastHash: b.hash });
    expect(log.list({ evidenceId: 'ev-1' })).toHaveLength(1);
  });

  it('refuses UPDATE and DELETE through SQLite itself', () => {
    const { db } = freshCatalog();
    const log = new AuditLog(db);
    log.append({ actor: 'x', action: 'verified' });
    expect(() => db.prepare("UPDATE audit_log SET actor = 'mallory'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
  });

  it('detects a row edited, deleted or inserted by someone who edits the file directly', () => {
    const { file, db } = freshCatalog();
    const log = new AuditLog(db);
    for (let i = 0; i < 5; i++)
      log.append({ actor: 'cli:bob', action: 'access', evidenceId: `ev-${i}`, details: { i } });
    db.close();

    const raw = new Database(file);
    raw.exec('DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;');
    raw.prepare(`UPDATE audit_log SET details = '{"i":99}' WHERE seq = 2`).run();
    raw.prepare('DELETE FROM audit_log WHERE seq = 4').run();
    raw.close();

    const result = new AuditLog(openCatalog(file)).verify();
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(
      expect.arrayContaining([
        { seq: 2, problem: 'row content does not match its hash' },
        { seq: 5, problem: 'expected seq 4: rows missing' },
        { seq: 5, problem: 'prev_hash does not match the previous row' },
      ]),
    );
  });

  it('migration 8 rebuilds the log with every row, link and guard as they were', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-audit-')), 'catalog.sqlite');
    const old = openCatalog(file, { migrations: MIGRATIONS.filter((m) => m.version <= 7) });
    const before = new AuditLog(old);
    before.append({
      actor: 'daemon',
      action: 'received',
      evidenceId: 'ev-1',
      details: { name: '（2026）第3号〔甲〕' },
    });
    for (let i = 0; i < 5; i++)
      before.append({ actor: 'token:t1', action: 'access', evidenceId: 'ev-1', details: { i } });
    before.append({ actor: 'daemon', action: 'archived', evidenceId: 'ev-1' });
    const rows = before.list({ limit: 100 });
    old.close();

    const db = openCatalog(file);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.at(-1)!.version);
    const log = new AuditLog(db);
    expect(log.list({ limit: 100 })).toEqual(rows);
    expect(log.verify()).toMatchObject({ ok: true, rows: 7, lastHash: rows.at(-1)!.hash });
    expect(log.custody('ev-1').map((r) => r.action)).toEqual(['received', 'archived']);
    expect(log.accessOf('ev-1', { limit: 2 }).map((r) => r.details)).toEqual([{ i: 4 }, { i: 3 }]);
    expect(() => db.prepare("UPDATE audit_log SET actor = 'mallory'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
    // the chain goes on from the migrated rows
    expect(log.append({ actor: 'x', action: 'verified' }).prevHash).toBe(rows.at(-1)!.hash);
  });

  it('group commits answer in chain order, and durable() waits for every batch committed', async () => {
    const { db } = freshCatalog();
    const log = new AuditLog(db);
    const answered: number[] = [];
    const pending: Promise<unknown>[] = [];
    // waves across turns of the event loop, so batches commit while earlier fsyncs still run
    for (let wave = 0; wave < 20; wave++) {
      for (let i = 0; i < 10; i++)
        pending.push(
          log
            .appendDurable({ actor: 'token:t', action: 'access', evidenceId: `ev-${i}`, details: { wave, i } })
            .then((row) => answered.push(row.seq)),
        );
      await new Promise((r) => setImmediate(r));
    }
    await log.durable();
    await Promise.all(pending);
    expect(answered).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(log.groupCommits).toBeGreaterThan(1);
    expect(log.groupCommits).toBeLessThan(200);
    expect(log.verify()).toMatchObject({ ok: true, rows: 200 });
  });
});
