// media.transcode on-demand with a real daemon process and its real HTTP API: browser-playable
// footage is remuxed at once, footage that needs the encoder waits in `deriving` until someone
// asks to play it, and the first request makes it (503 + Retry-After meanwhile). Nothing is mocked.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/fixtures.js';
import { makeWorkspace, readCatalog, startDaemonProcess, waitFor, type Workspace } from '../helpers/workspace.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const SIDECAR = {
  caseNumber: 'A-2026-0042',
  recordedAt: '2026-11-20T08:15:00+08:00',
  place: '东街12号',
  collector: { name: '张三', id: '031245' },
  purpose: '证明当事人拒绝检查',
};

function drop(w: Workspace, rel: string, source: string): void {
  const dest = path.join(w.dock, rel);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(`${dest}.json`, JSON.stringify(SIDECAR));
  fs.copyFileSync(source, dest);
}

function row(w: Workspace, name: string): { id: string; state: string; media: string; next: string | null } | null {
  const db = new Database(path.join(w.dataDir, 'catalog.sqlite'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return (
      (db
        .prepare(
          'SELECT id, state, media, next_attempt_at AS next FROM evidence WHERE original_name = ? ORDER BY received_at',
        )
        .get(name) as { id: string; state: string; media: string; next: string | null } | undefined) ?? null
    );
  } finally {
    db.close();
  }
}

describe('media.transcode: on-demand', () => {
  it('remuxes H.264 at once; makes the HEVC derivative on the first request to play it', async () => {
    const port = await freePort();
    const w = makeWorkspace({
      media: { transcode: 'on-demand' },
      api: { enabled: true, host: '127.0.0.1', port },
    });
    const created = w.cli(['tokens', 'create', '--role', 'auditor', '--json']);
    expect(created.status, created.stderr).toBe(0);
    const token = (JSON.parse(created.stdout) as { token: string }).token;
    startDaemonProcess(w);

    drop(w, 'DEV01/h264-1080p.mp4', fixture('h264-aac-1080p.mp4'));
    drop(w, 'DEV01/hevc.mp4', fixture('hevc.mp4'));

    // browser-playable 1080p H.264: remuxed and archived without anyone asking
    await waitFor('the H.264 clip archived', () => row(w, 'h264-1080p.mp4')?.state === 'archived', 60_000);
    // HEVC: waits, honestly, in `deriving`, with a note and no next attempt of its own
    const waiting = await waitFor(
      'the HEVC clip waiting',
      () => {
        const r = row(w, 'hevc.mp4');
        return r && (JSON.parse(r.media) as { waiting?: unknown }).waiting ? r : null;
      },
      60_000,
    );
    expect(waiting.state).toBe('deriving');
    expect(JSON.parse(waiting.media)).toMatchObject({ waiting: { for: 'on-demand' } });
    expect(waiting.next).toBe('9999-12-31T23:59:59.999Z');
    expect(fs.existsSync(path.join(w.archive, 'evidence', waiting.id, 'derivative'))).toBe(false);

    const base = `http://127.0.0.1:${port}/api/v1/evidence`;
    const headers = { authorization: `Bearer ${token}`, 'x-access-reason': encodeURIComponent('复核 review') };
    const h264 = row(w, 'h264-1080p.mp4')!;
    const ready = await fetch(`${base}/${h264.id}/derivative`, { headers });
    expect(ready.status).toBe(200);
    expect(ready.headers.get('content-type')).toBe('video/mp4');
    await ready.arrayBuffer();

    const first = await fetch(`${base}/${waiting.id}/derivative`, { headers });
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('10');
    const problem = (await first.json()) as { code: string; derivation: { status: string; progress: number } };
    expect(problem).toMatchObject({ code: 'DERIVATIVE_PENDING', derivation: { status: 'pending' } });
    expect(problem.derivation.progress).toBeGreaterThanOrEqual(0);

    await waitFor('the HEVC clip archived after the request', () => row(w, 'hevc.mp4')?.state === 'archived', 90_000);
    const played = await fetch(`${base}/${waiting.id}/derivative`, { headers });
    expect(played.status).toBe(200);
    const bytes = Buffer.from(await played.arrayBuffer());
    expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
    const done = row(w, 'hevc.mp4')!;
    expect((JSON.parse(done.media) as { waiting?: unknown }).waiting).toBeUndefined();

    // who asked, in the custody record
    const shown = w.cli(['show', waiting.id, '--json']);
    const custody = (JSON.parse(shown.stdout) as { custody: { action: string; actor: string }[] }).custody;
    const asked = custody.find((c) => c.action === 'derivation-requested');
    expect(asked?.actor).toMatch(/^token:/);
    expect(custody.map((c) => c.action)).toEqual(
      expect.arrayContaining(['derivation-deferred', 'derivation-requested', 'sealed', 'archived']),
    );
    expect(readCatalog(w).map((r) => r.state)).toEqual(['archived', 'archived']);
  }, 240_000);
});
