// The CLI where admins trip: a pipe closed early, audit filters, dates, token ids, status of a
// stopped daemon, log format. Real catalog files, the real compiled CLI, a real daemon.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/catalog/audit-repo.js';
import { catalogPath, openCatalog } from '../../src/catalog/db.js';
import { repoRoot } from '../helpers/fixtures.js';
import { fixture } from '../helpers/fixtures.js';
import { CLI, makeWorkspace, readCatalog, startDaemonProcess, waitFor, type Workspace } from '../helpers/workspace.js';

let ws: Workspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

function withCatalog<T>(w: Workspace, fn: (log: AuditLog) => T): T {
  // One transaction: 10,000 appends with a sync each would take most of a minute.
  fs.mkdirSync(w.dataDir, { recursive: true });
  const db = openCatalog(catalogPath(w.dataDir));
  try {
    return db.transaction(() => fn(new AuditLog(db)))();
  } finally {
    db.close();
  }
}

describe('CLI edges', () => {
  it('exits quietly when the reader of its output goes away (sealdock audit list | head -1)', () => {
    ws = makeWorkspace();
    const w = ws;
    withCatalog(w, (log) => {
      // ~2 MB of output: far more than a pipe buffer, so the writes after head exits hit EPIPE.
      for (let i = 0; i < 10_000; i++)
        log.append({
          actor: 'cli:test',
          action: 'verified',
          evidenceId: `ev-${i}`,
          details: { n: i, pad: 'x'.repeat(120) },
        });
    });
    const r = spawnSync(
      'bash',
      [
        '-c',
        `"$0" "$1" --config "$2" audit list --limit 10000 | head -n 1; echo "status=\${PIPESTATUS[0]}"`,
        process.execPath,
        CLI,
        w.configFile,
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${r.stdout.split('\n')[0]}\nstatus=0\n`);
    expect(r.stdout).toMatch(/^seq\s+at\s+actor\s+action/);
  });

  it('audit list: newest first, --since/--until in the configured zone, --limit, validated action names', async () => {
    ws = makeWorkspace();
    const w = ws;
    const { first, middle } = withCatalog(w, (log) => {
      const first = log.append({ actor: 'cli:alice', action: 'exported', details: {} });
      log.append({ actor: 'cli:alice', action: 'verified', details: {} });
      return { first, middle: first.at };
    });
    await new Promise((r) => setTimeout(r, 20));
    const cut = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    withCatalog(w, (log) => log.append({ actor: 'cli:bob', action: 'exported', details: {} }));
    const list = (...args: string[]) => {
      const r = w.cli(['audit', 'list', '--json', ...args]);
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { seq: number; action: string; actor: string }[]).map((x) => x.seq);
    };
    expect(list()).toEqual([3, 2, 1]);
    expect(list('--oldest-first')).toEqual([1, 2, 3]);
    expect(list('--limit', '2')).toEqual([3, 2]);
    expect(list('--action', 'exported')).toEqual([3, 1]);
    expect(list('--since', cut)).toEqual([3]);
    expect(list('--until', cut)).toEqual([2, 1]);
    expect(list('--since', middle, '--until', cut, '--action', 'exported')).toEqual([first.seq]);
    // Today, as a day in Asia/Shanghai, includes everything; the day before includes nothing.
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    expect(list('--since', today, '--until', today)).toEqual([3, 2, 1]);
    expect(list('--until', '2000-01-01')).toEqual([]);
    expect(list('--since', '1h')).toEqual([3, 2, 1]);

    const typo = w.cli(['audit', 'list', '--action', 'export']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/no action "export" \(did you mean exported\?\); actions: .*access-denied/);
    const badDate = w.cli(['audit', 'list', '--since', '2026-13-01']);
    expect(badDate.status).toBe(2);
    expect(badDate.stderr).toMatch(/--since: "2026-13-01"/);
    expect(w.cli(['audit', 'list', '--limit', '0']).status).toBe(2);
    expect(w.cli(['audit', 'list', '--since', '2026-11-21', '--until', '2026-11-20']).status).toBe(2);
  });

  it('tokens revoke takes an id and never prints a secret pasted instead', () => {
    ws = makeWorkspace();
    const created = ws.cli(['tokens', 'create', '--role', 'auditor', '--expires', '2099-12-31']);
    expect(created.status, created.stderr).toBe(0);
    const secret = created.stdout.trim();
    const id = secret.split('_')[1]!;
    expect(created.stderr).toMatch(/expires 2099-12-31T16:00:00\.000Z/); // through that day in Asia/Shanghai

    const pasted = ws.cli(['tokens', 'revoke', secret]);
    expect(pasted.status).toBe(2);
    expect(pasted.stdout + pasted.stderr).not.toContain(secret.split('_')[2]!);
    expect(pasted.stderr).toContain(`sealdock tokens revoke ${id}`);
    const garbage = ws.cli(['tokens', 'revoke', 'sdk_0123_notasecret']);
    expect(garbage.status).toBe(2);
    expect(garbage.stderr).not.toContain('notasecret');

    const revoked = ws.cli(['tokens', 'revoke', id]);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`token ${id} revoked`);
    expect(ws.cli(['tokens', 'create', '--role', 'auditor', '--expires', '2000-01-01']).status).toBe(2);
  });

  it('status says plainly that the daemon is not running (exit 1), also after a kill -9 left its heartbeat', () => {
    ws = makeWorkspace();
    withCatalog(ws, () => undefined);
    const none = ws.cli(['status']);
    expect(none.status).toBe(1);
    expect(none.stdout).toMatch(/^daemon: NOT RUNNING \(no heartbeat in .*\)$/m);

    const gone = spawnSync('true').pid!; // a pid that has exited
    fs.writeFileSync(
      path.join(ws.dataDir, 'daemon-status.json'),
      JSON.stringify({ pid: gone, startedAt: '2026-11-20T00:00:00Z', updatedAt: new Date().toISOString() }),
    );
    const stale = ws.cli(['status', '--json']);
    expect(stale.status).toBe(1);
    const body = JSON.parse(stale.stdout) as { daemon: { running: boolean; reason: string }; inProgress: unknown[] };
    expect(body.daemon.running).toBe(false);
    expect(body.daemon.reason).toMatch(new RegExp(`process ${gone} is gone`));
    expect(body.inProgress).toEqual([]);
  });

  it('a running daemon: status exits 0, retain --until takes a bare date, logs are JSON lines when not on a terminal', async () => {
    ws = makeWorkspace();
    const w = ws;
    const daemon = startDaemonProcess(w);
    try {
      fs.mkdirSync(path.join(w.dock, 'DEV01'), { recursive: true });
      fs.copyFileSync(fixture('h264-aac.mp4'), path.join(w.dock, 'DEV01', 'clip.mp4'));
      const sidecar = {
        caseNumber: 'A-2026-0042',
        recordedAt: '2026-11-20T08:15:00+08:00',
        place: '东街12号',
        collector: { name: '张三', id: '031245' },
        purpose: '证明当事人拒绝检查',
      };
      fs.writeFileSync(path.join(w.dock, 'DEV01', 'clip.mp4.json'), JSON.stringify(sidecar));
      const item = await waitFor('archived', () => readCatalog(w).find((r) => r.state === 'archived'), 90_000);
      const status = w.cli(['status']);
      expect(status.status, status.stderr).toBe(0);
      expect(status.stdout).toMatch(/^daemon: running, pid \d+/m);

      const retain = w.cli(['retain', item.id, '--until', '2031-12-31', '--json']);
      expect(retain.status, retain.stderr).toBe(0);
      expect(JSON.parse(retain.stdout)).toMatchObject({ id: item.id, retainUntil: '2031-12-31T16:00:00.000Z' });
      expect(w.cli(['retain', item.id, '--until', '2031-06-30']).status).not.toBe(0); // never shortens
    } finally {
      expect(await daemon.stop()).toBe(0);
    }
    const lines = daemon.log().trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(w.cli(['status']).status).toBe(1);
  });

  it('log lines are readable on a terminal (pino-pretty) and with log.format pretty, JSON otherwise', () => {
    const script = `import(${JSON.stringify(path.join(repoRoot, 'dist/logging.js'))}).then((m) => m.createLogger('info', undefined, process.argv[1]).info({ evidenceId: 'ev-1' }, '已接收 received'))`;
    const run = (format: string) => spawnSync(process.execPath, ['-e', script, format], { encoding: 'utf8' }).stderr;
    const json = JSON.parse(run('auto')) as { msg: string; evidenceId: string };
    expect(json).toMatchObject({ msg: '已接收 received', evidenceId: 'ev-1' });
    const pretty = run('pretty');
    expect(pretty).toMatch(/INFO.*已接收 received/);
    expect(pretty).toMatch(/evidenceId: "ev-1"/);
    expect(() => JSON.parse(pretty)).toThrow();
    // On a real terminal (script(1) gives the command a pty), auto is readable too.
    const tty = spawnSync(
      'script',
      ['-qec', `"${process.execPath}" -e '${script.replace(/'/g, `'\\''`)}' auto`, '/dev/null'],
      {
        encoding: 'utf8',
      },
    );
    expect(tty.stdout).toMatch(/INFO.*已接收 received/);
  });
});
