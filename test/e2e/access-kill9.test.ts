// Access rows are committed without SQLite's own WAL fsync and fsynced by us off the event loop
// (AuditLog.appendDurable, docs/architecture.md): a read is answered only after that fsync. A real
// daemon answers a burst of concurrent reads and is killed with SIGKILL the moment the last answer
// arrives: every answered read must then be in the catalog files on disk (WAL or database) and in the catalog, the hash
// chain whole. (A kill -9 cannot show a lost power supply; the argument for that is the doc's.)
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/catalog/audit-repo.js';
import { openCatalog } from '../../src/catalog/db.js';
import { freePort, makeWorkspace, startDaemonProcess, waitFor } from '../helpers/workspace.js';

describe('durable access rows across kill -9', () => {
  it('every read answered before the kill has its row in the catalog files and in the catalog, the chain intact', async () => {
    const port = await freePort();
    const ws = makeWorkspace({ api: { enabled: true, host: '127.0.0.1', port } });
    const created = ws.cli(['tokens', 'create', '--role', 'auditor', '--label', 'kill9', '--json']);
    expect(created.status, created.stderr).toBe(0);
    const { token } = JSON.parse(created.stdout) as { token: string };
    const daemon = startDaemonProcess(ws);
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the API listens', async () => (await fetch(`${base}/healthz`)).ok);

    // Each read names itself in its query, which its access row records.
    const marks = Array.from({ length: 120 }, (_, i) => `KILL9-${String(i).padStart(4, '0')}-案`);
    const answered: string[] = [];
    await Promise.all(
      marks.map(async (mark) => {
        const res = await fetch(`${base}/api/v1/evidence?caseNumber=${encodeURIComponent(mark)}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        answered.push(mark);
      }),
    );
    await daemon.kill9();
    expect(answered).toHaveLength(marks.length);

    // Before SQLite opens the files again: the rows are in the WAL, or already checkpointed into
    // the database file by the checkpointer thread (not merely in a page cache of the dead
    // process, which a kill -9 would have taken along).
    const catalogFile = path.join(ws.dataDir, 'catalog.sqlite');
    const files = Buffer.concat([fs.readFileSync(`${catalogFile}-wal`), fs.readFileSync(catalogFile)]);
    const onDisk = answered.filter((m) => files.includes(Buffer.from(JSON.stringify(m).slice(1, -1), 'utf8')));
    expect(onDisk).toEqual(answered);

    const db = openCatalog(catalogFile);
    try {
      const log = new AuditLog(db);
      const rows = log.list({ action: 'access', limit: 10_000 });
      const recorded = rows.map((r) => (r.details.query as { caseNumber?: string } | undefined)?.caseNumber);
      expect(answered.filter((m) => !recorded.includes(m))).toEqual([]);
      expect(rows.every((r) => r.details.status === 200 && r.details.what === 'list')).toBe(true);
      expect(log.verify().problems).toEqual([]);
    } finally {
      db.close();
    }
  }, 120_000);
});
