import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog, GENESIS_HASH } from '../../src/catalog/audit-repo.js';
import { openCatalog } from '../../src/catalog/db.js';

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
});
