// Every file on a dock is taken or reported, whatever its name: a real daemon watching a real
// folder, names of every hostile kind written as raw bytes, each ending archived and verified
// with its exact name sealed in the intake manifest; what is not taken is listed with its reason
// in `status`, the audit log and `docks check`.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/fixtures.js';
import {
  freePort,
  makeWorkspace,
  readCatalog,
  startDaemonProcess,
  waitFor,
  type DaemonProcess,
  type Workspace,
} from '../helpers/workspace.js';
import { exactNameOf } from '../../src/util/file-names.js';

let ws: Workspace | undefined;
let daemon: DaemonProcess | undefined;

/** A unique, playable MP4 (the fixture plus a unique trailing free atom) at a raw-bytes path. */
function clipAt(dest: Buffer): string {
  const base = fs.readFileSync(fixture('h264-aac.mp4'));
  const payload = Buffer.from(`sealdock-test ${randomBytes(8).toString('hex')}`);
  const atom = Buffer.alloc(8);
  atom.writeUInt32BE(8 + payload.length, 0);
  atom.write('free', 4, 'latin1');
  const bytes = Buffer.concat([base, atom, payload]);
  fs.mkdirSync(dest.subarray(0, dest.lastIndexOf(0x2f)), { recursive: true });
  fs.writeFileSync(dest, bytes);
  return createHash('sha256').update(bytes).digest('hex');
}

const p = (...parts: (string | Buffer)[]) =>
  Buffer.concat(parts.flatMap((x, i) => [...(i ? [Buffer.from('/')] : []), Buffer.from(x)]));

// Every kind of name the field produces.
const GBK = Buffer.from([
  0xd6, 0xb4, 0xb7, 0xa8, 0xbc, 0xc7, 0xc2, 0xbc, 0xd2, 0xc7, 0x30, 0x31, 0x2e, 0x6d, 0x70, 0x34,
]); // 执法记录仪01.mp4
export const HOSTILE_NAMES: { kind: string; name: Buffer }[] = [
  { kind: '255 bytes', name: Buffer.from(`ab${'长'.repeat(83)}.mp4`) },
  { kind: 'GBK', name: GBK },
  { kind: 'control characters', name: Buffer.from('ctl\u0001\u0007\u001b[31m\tx.mp4') },
  { kind: 'RTL override and mark', name: Buffer.from('evil\u202Egnp.\u200Fmp4.mp4') },
];

interface CheckReport {
  safeToWipe: boolean;
  verdict: string;
  entries: { path: string; status: string; reason?: string; safeToWipe: boolean; evidenceId?: string }[];
}

interface ManifestOriginal {
  fileName: string;
  archiveKey: string;
  exactName?: { encoding: string; value: string };
  dockPath?: { encoding: string; value: string };
}

function intakeManifest(w: Workspace, id: string): ManifestOriginal {
  const m = JSON.parse(fs.readFileSync(path.join(w.archive, 'evidence', id, 'manifest', '0001.json'), 'utf8')) as {
    original: ManifestOriginal;
  };
  return m.original;
}

describe('any name, any depth, through the dock folder', () => {
  it('takes every hostile name and a file 40 folders deep, archives and verifies each with its exact name; reports what it does not take', async () => {
    ws = makeWorkspace({ intake: { quietPeriodMs: 400, pollIntervalMs: 100, scanIntervalMs: 300 } });
    const dock = Buffer.from(ws.dock);
    const deepDirs = Array.from({ length: 39 }, (_, i) => `d${i + 1}`);
    const files = [
      ...HOSTILE_NAMES.map((h) => ({ kind: h.kind, rel: p('DEV01', h.name) })),
      { kind: '40 folders deep', rel: p('DEV01', ...deepDirs, 'deep.mp4') },
      { kind: 'GBK folder', rel: p(GBK.subarray(0, 8), 'inside.mp4') },
    ];
    const expected = new Map<string, { kind: string; rel: Buffer }>();
    for (const f of files) expected.set(clipAt(p(dock, f.rel)), f);
    // Things that are never taken, each for a reason.
    fs.symlinkSync('/etc/passwd', path.join(ws.dock, 'DEV01', 'link.mp4'));
    execFileSync('mkfifo', [path.join(ws.dock, 'DEV01', 'pipe.mp4')]);
    fs.writeFileSync(path.join(ws.dock, 'DEV01', '.hidden.mp4'), 'x');
    fs.writeFileSync(path.join(ws.dock, 'DEV01', 'copying.mp4.part'), 'x');
    fs.writeFileSync(path.join(ws.dock, 'DEV01', 'empty.mp4'), '');
    const tooDeep = p(dock, 'DEV02', ...Array.from({ length: 65 }, () => 'z'), 'lost.mp4');
    fs.mkdirSync(tooDeep.subarray(0, tooDeep.lastIndexOf(0x2f)), { recursive: true });
    fs.writeFileSync(tooDeep, 'deep footage');

    daemon = startDaemonProcess(ws);
    await waitFor(
      'every file archived',
      () => {
        const rows = readCatalog(ws!);
        return (
          rows.length === expected.size &&
          rows.every((r) => r.state === 'awaiting-annotation' || r.state === 'archived')
        );
      },
      90_000,
    );
    const rows = readCatalog(ws);
    for (const row of rows) {
      const f = expected.get(row.sha256);
      expect(f, `unexpected item ${row.original_name}`).toBeDefined();
      const original = intakeManifest(ws, row.id);
      const name = f!.rel.subarray(f!.rel.lastIndexOf(0x2f) + 1);
      expect(original.exactName, f!.kind).toEqual(exactNameOf(name));
      expect(original.dockPath, f!.kind).toEqual(exactNameOf(f!.rel));
      // The key is derived, bounded and plain; the shown name has no raw control or bidi character.
      const keyName = original.archiveKey.split('/').at(-1)!;
      expect(Buffer.byteLength(keyName)).toBeLessThanOrEqual(116);
      expect(keyName).toMatch(/^[\p{L}\p{N}_.()-]+$/u);
      expect(row.original_name).not.toMatch(/[\p{Cc}\p{Cf}]/u);
      const verified = ws.cli(['verify', row.id]);
      expect(verified.status, `${f!.kind}: ${verified.stdout}${verified.stderr}`).toBe(0);
    }
    expect(
      ws.cli(['show', rows.find((r) => expected.get(r.sha256)!.kind === 'RTL override and mark')!.id]).stdout,
    ).toContain('evil\\u202Egnp.\\u200Fmp4.mp4');
    // Released from the dock (release: delete) once verified, whatever the name.
    await waitFor('dock files released', () => files.every((f) => !fs.existsSync(p(dock, f.rel))), 30_000);

    // Never silent: status lists each file not taken with its reason, and the audit log has each once.
    const status = await waitFor('status shows what is not taken', () => {
      const s = JSON.parse(ws!.cli(['status', '--json']).stdout) as {
        daemon: {
          docks?: { notTaken: { byReason: Record<string, number>; files: { path: string; reason: string }[] } };
        };
      };
      const nt = s.daemon.docks?.notTaken;
      return nt && nt.byReason.empty ? nt : null;
    });
    const reasons = Object.fromEntries(status.files.map((f) => [f.path, f.reason]));
    expect(reasons).toMatchObject({
      'DEV01/link.mp4': 'symlink',
      'DEV01/pipe.mp4': 'fifo',
      'DEV01/.hidden.mp4': 'hidden',
      'DEV01/copying.mp4.part': 'temp',
      'DEV01/empty.mp4': 'empty',
      // the 65th folder below the dock is reported, not entered (intake.maxDepth 64)
      [`DEV02/${Array.from({ length: 64 }, () => 'z').join('/')}`]: 'too-deep',
    });
    const human = ws.cli(['status']).stdout;
    expect(human).toContain('not taken');
    expect(human).toContain('symlink');
    await new Promise((r) => setTimeout(r, 1000)); // a few more walks: still audited once each
    const audit = JSON.parse(ws.cli(['audit', 'list', '--json']).stdout) as {
      action: string;
      details: { path: string };
    }[];
    const notTaken = audit.filter((a) => a.action === 'dock-file-not-taken').map((a) => a.details.path);
    expect(notTaken.sort()).toEqual(Object.keys(reasons).sort());

    // docks check: what is left is listed with its reason, and the dock is not safe to wipe
    // (a hidden and a temporary file hold data, a folder beyond the depth limit was not entered).
    const check = ws.cli(['docks', 'check', '--json']);
    expect(check.status, check.stderr).toBe(1);
    const report = JSON.parse(check.stdout) as CheckReport;
    expect(report.safeToWipe).toBe(false);
    const byPath = Object.fromEntries(report.entries.map((e) => [e.path, e]));
    for (const [p, reason] of Object.entries(reasons))
      expect(byPath[p], p).toMatchObject({ status: 'not-taken', reason });
    expect(byPath['DEV01/link.mp4']!.safeToWipe).toBe(true);
    expect(byPath['DEV01/empty.mp4']!.safeToWipe).toBe(true);
    expect(byPath['DEV01/.hidden.mp4']!.safeToWipe).toBe(false);
    expect(report.entries.filter((e) => e.status === 'archived' || e.status === 'waiting')).toEqual([]);
  }, 180_000);

  it('docks check: safe to wipe only when every file with content is archived and verified, by hash under any name', async () => {
    const port = await freePort();
    ws = makeWorkspace({ api: { enabled: true, host: '127.0.0.1', port } }, { release: 'keep' });
    const token = (JSON.parse(ws.cli(['tokens', 'create', '--role', 'admin', '--json']).stdout) as { token: string })
      .token;
    const dock = Buffer.from(ws.dock);
    const a = clipAt(p(dock, 'DEV01', GBK));
    fs.symlinkSync('/etc/passwd', path.join(ws.dock, 'DEV01', 'link.mp4'));
    fs.writeFileSync(path.join(ws.dock, 'DEV01', 'empty.mp4'), '');
    daemon = startDaemonProcess(ws);
    const item = await waitFor('archived', () =>
      readCatalog(ws!).find((r) => r.sha256 === a && r.state === 'awaiting-annotation'),
    );
    // /metrics counts what is not taken, one series per dock and reason.
    const scraped = await waitFor('metrics show the findings', async () => {
      const res = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      const text = await res.text();
      return text.includes('sealdock_dock_files_not_taken{dock="dock1",reason="empty"} 1') ? text : null;
    });
    expect(scraped).toContain('sealdock_dock_files_not_taken{dock="dock1",reason="symlink"} 1');
    expect(scraped).toContain('sealdock_dock_files_not_taken{dock="dock1",reason="fifo"} 0');
    await daemon.stop();
    daemon = undefined;
    // A copy of the same content under another name is archived too: identity is the hash.
    fs.copyFileSync(p(dock, 'DEV01', GBK), path.join(ws.dock, 'DEV01', 'copy of it.mp4'));

    let r = ws.cli(['docks', 'check']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('SAFE TO WIPE');
    let report = JSON.parse(ws.cli(['docks', 'check', '--json']).stdout) as CheckReport;
    expect(report.safeToWipe).toBe(true);
    const archived = report.entries.filter((e) => e.status === 'archived');
    expect(archived.map((e) => e.path).sort()).toEqual(
      ['DEV01/\\xD6\\xB4\\xB7\\xA8\\xBC\\xC7\\xC2\\xBC\\xD2\\xC701.mp4', 'DEV01/copy of it.mp4'].sort(),
    );
    expect(archived.every((e) => e.evidenceId === item.id)).toBe(true);

    // New footage the daemon has not taken (it is stopped) and a hidden file with data: not safe.
    clipAt(p(dock, 'DEV02', 'new.mp4'));
    fs.writeFileSync(path.join(ws.dock, 'DEV02', '.notes'), 'something');
    r = ws.cli(['docks', 'check']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('NOT SAFE TO WIPE: 2 of');
    report = JSON.parse(ws.cli(['docks', 'check', '--json']).stdout) as CheckReport;
    expect(report.entries.filter((e) => !e.safeToWipe).map((e) => [e.path, e.status, e.reason])).toEqual([
      ['DEV02/.notes', 'not-taken', 'hidden'],
      ['DEV02/new.mp4', 'waiting', undefined],
    ]);
  }, 120_000);

  it('waits for a copy that stalls mid-file (incomplete MP4) and takes only the complete file, once', async () => {
    ws = makeWorkspace({
      intake: { quietPeriodMs: 400, pollIntervalMs: 100, scanIntervalMs: 500, stalledGraceMs: 60_000 },
    });
    const full = fs.readFileSync(fixture('h264-aac.mp4'));
    const dest = path.join(ws.dock, 'DEV01', 'stalled.mp4');
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    daemon = startDaemonProcess(ws);
    const half = Math.floor(full.length / 2);
    fs.writeFileSync(dest, full.subarray(0, half));
    // The copy pauses for 7 s, far beyond the 400 ms quiet period: the file is seen incomplete and waits.
    const waiting = await waitFor('status shows the stalled copy waiting', () => {
      const s = JSON.parse(ws!.cli(['status', '--json']).stdout) as {
        daemon: { docks?: { waiting: { path: string; why: string }[] } };
      };
      return s.daemon.docks?.waiting.find((w) => w.path === 'DEV01/stalled.mp4');
    });
    expect(waiting.why).toMatch(/past the end|no moov/);
    await new Promise((r) => setTimeout(r, 7000));
    expect(readCatalog(ws)).toEqual([]);
    fs.appendFileSync(dest, full.subarray(half));
    const sha = createHash('sha256').update(full).digest('hex');
    await waitFor('the complete file taken', () => readCatalog(ws!).find((r) => r.sha256 === sha));
    await new Promise((r) => setTimeout(r, 1500)); // a few more walks and ticks: still one item
    expect(readCatalog(ws).map((r) => r.sha256)).toEqual([sha]);
  }, 120_000);
});
