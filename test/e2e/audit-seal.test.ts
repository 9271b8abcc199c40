// The audit tail is sealed within audit.sealIntervalMs by the real daemon; after that, rewriting a
// sealed row (chain recomputed, so the SQLite chain alone looks intact) or deleting one is caught by
// `sealdock audit verify`, which also reports the rows not sealed yet.
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
import { auditRowHash, GENESIS_HASH } from '../../src/audit/chain.js';
import {
  makeWorkspace,
  startDaemonProcess,
  waitFor,
  type DaemonProcess,
  type Workspace,
} from '../helpers/workspace.js';

let ws: Workspace | undefined;
let daemon: DaemonProcess | undefined;
interface Raw {
  seq: number;
  at: string;
  actor: string;
  action: string;
  evidence_id: string | null;
  details: string;
}

/** Rewrites the whole chain from the rows as they are now, as an attacker with the file would. */
function rechain(db: Database.Database): void {
  let prev = GENESIS_HASH;
  for (const r of db.prepare('SELECT * FROM audit_log ORDER BY seq').all() as Raw[]) {
    const hash = auditRowHash(prev, {
      seq: r.seq,
      at: r.at,
      actor: r.actor,
      action: r.action,
      evidenceId: r.evidence_id,
      details: JSON.parse(r.details) as Record<string, unknown>,
    });
    db.prepare('UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?').run(prev, hash, r.seq);
    prev = hash;
  }
}

function tamper(ws: Workspace, fn: (db: Database.Database) => void): void {
  const db = new Database(path.join(ws.dataDir, 'catalog.sqlite'));
  try {
    db.exec('DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;');
    fn(db);
    rechain(db);
  } finally {
    db.close();
  }
}

async function sealedWorkspace(): Promise<Workspace> {
  const w = makeWorkspace({ audit: { sealIntervalMs: 1000, sealMaxRows: 500 } });
  daemon = startDaemonProcess(w);
  await waitFor('daemon up', () => daemon!.log().includes('sealdock started'), 30_000);
  for (const label of ['审计员甲', '审计员乙', '审计员丙']) {
    expect(w.cli(['tokens', 'create', '--role', 'auditor', '--label', label]).status).toBe(0);
  }
  // The running daemon seals the tail by itself, within the interval (no stop needed).
  await waitFor(
    'tail sealed',
    () => {
      const v = JSON.parse(w.cli(['audit', 'verify', '--json']).stdout) as { unsealed: { rows: number } };
      return v.unsealed.rows === 0;
    },
    30_000,
  );
  await daemon.stop();
  daemon = undefined;
  return w;
}

it('reports the unsealed tail, and catches a sealed row rewritten with a recomputed chain', async () => {
  ws = await sealedWorkspace();
  const clean = JSON.parse(ws.cli(['audit', 'verify', '--json']).stdout);
  expect(clean.ok).toBe(true);
  expect(clean.segments.segments).toBeGreaterThan(0);

  // New rows with no daemon to seal them: reported as the unsealed tail, not as a failure.
  expect(ws.cli(['tokens', 'create', '--role', 'admin']).status).toBe(0);
  const tail = ws.cli(['audit', 'verify']);
  expect(tail.status).toBe(0);
  expect(tail.stdout).toMatch(/unsealed tail: 1 row\(s\) from seq \d+ since \d{4}-/);

  tamper(ws, (db) =>
    db.prepare(`UPDATE audit_log SET details = json_set(details, '$.label', '别人') WHERE seq = 2`).run(),
  );
  const broken = ws.cli(['audit', 'verify']);
  expect(broken.status).toBe(3);
  expect(broken.stdout).toMatch(/catalog row 2 was rewritten after it was sealed/);
}, 120_000);

it('catches a sealed row deleted and the rest renumbered with a recomputed chain', async () => {
  ws = await sealedWorkspace();
  tamper(ws, (db) => {
    db.prepare('DELETE FROM audit_log WHERE seq = 2').run();
    db.prepare('UPDATE audit_log SET seq = seq - 1 WHERE seq > 2').run();
  });
  const broken = ws.cli(['audit', 'verify', '--json']);
  expect(broken.status).toBe(3);
  const v = JSON.parse(broken.stdout);
  expect(v.segments.problems.map((p: { problem: string }) => p.problem).join()).toMatch(
    /was (deleted|rewritten) after it was sealed/,
  );
}, 120_000);
