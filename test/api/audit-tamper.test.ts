// An edited audit row is found by `sealdock audit verify` (exit 3), even when the edit is made
// straight in the SQLite file past the append-only trigger.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { makeWorkspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

it('audit verify exits 3 after a row is edited directly in the catalog file', () => {
  ws = makeWorkspace();
  // A few audited changes through the real CLI: token creation and revocation.
  const created = ws.cli(['tokens', 'create', '--role', 'auditor', '--label', '审计员', '--json']);
  expect(created.status, created.stderr).toBe(0);
  const { id } = JSON.parse(created.stdout) as { id: string };
  expect(ws.cli(['tokens', 'revoke', id]).status).toBe(0);
  expect(ws.cli(['tokens', 'create', '--role', 'admin']).status).toBe(0);
  const ok = ws.cli(['audit', 'verify', '--json']);
  expect(ok.status, ok.stdout + ok.stderr).toBe(0);
  expect(JSON.parse(ok.stdout).rows).toBe(3);

  const db = new Database(path.join(ws.dataDir, 'catalog.sqlite'));
  try {
    expect(() => db.prepare('UPDATE audit_log SET details = ? WHERE seq = 2').run('{}')).toThrow(/append-only/);
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare(`UPDATE audit_log SET details = json_set(details, '$.tokenId', 'someone-else') WHERE seq = 2`).run();
  } finally {
    db.close();
  }
  const broken = ws.cli(['audit', 'verify']);
  expect(broken.status).toBe(3);
  expect(broken.stdout).toContain('AUDIT LOG BROKEN');
  expect(broken.stdout).toMatch(/2\s+row content does not match its hash/);
});
