// A court package must check offline with nothing but sha256sum and openssl.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture } from '../helpers/fixtures.js';
import {
  makeWorkspace,
  readCatalog,
  startDaemonProcess,
  waitFor,
  type DaemonProcess,
  type Workspace,
} from '../helpers/workspace.js';

let ws: Workspace | undefined;
let daemon: DaemonProcess | undefined;
afterEach(async () => {
  if (daemon) await daemon.stop().catch(() => undefined);
  daemon = undefined;
  ws?.cleanup();
  ws = undefined;
});

describe('sealdock export', () => {
  it('writes a package of a whole case that verifies offline, and fails on one flipped byte', async () => {
    ws = makeWorkspace();
    const dir = path.join(ws.dock, 'DEV01');
    fs.mkdirSync(dir, { recursive: true });
    const sidecar = JSON.stringify({ caseNumber: 'A-2026-0042', collector: '张三', purpose: '证明当事人拒绝检查' });
    fs.writeFileSync(path.join(dir, '录像 1.MP4.json'), sidecar);
    fs.copyFileSync(fixture('h264-aac.mp4'), path.join(dir, '录像 1.MP4'));
    fs.writeFileSync(path.join(dir, 'broken.MP4.json'), sidecar);
    fs.copyFileSync(fixture('truncated.mp4'), path.join(dir, 'broken.MP4'));
    daemon = startDaemonProcess(ws);
    await waitFor(
      'both settled',
      () => {
        const rows = readCatalog(ws!);
        return rows.length === 2 && rows.every((r) => r.state === 'archived' || r.state === 'unplayable');
      },
      120_000,
    );
    await daemon.stop();
    daemon = undefined;

    const out = path.join(ws.dir, 'court-package');
    const r = ws.cli(['export', '--case', 'A-2026-0042', '--out', out, '--reason', '法院调取', '--json']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ items: 2, selfCheck: 'ok', problems: [] });

    const check = spawnSync('sh', ['verify.sh'], { cwd: out, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/package verified/);
    expect(spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out }).status).toBe(0);
    const index = JSON.parse(fs.readFileSync(path.join(out, 'export.json'), 'utf8'));
    expect(index).toMatchObject({
      caseNumber: 'A-2026-0042',
      reason: '法院调取',
      madeBy: expect.stringMatching(/^cli:/),
    });
    expect(index.items).toHaveLength(2);
    const exported = JSON.parse(ws.cli(['audit', 'list', '--json', '--action', 'exported']).stdout);
    expect(exported).toHaveLength(2);

    const report = ws.cli(['report', '--year', String(new Date().getUTCFullYear()), '--json']);
    expect(report.status, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({
      items: 2,
      cases: 1,
      byState: [
        { state: 'archived', items: 1 },
        { state: 'unplayable', items: 1 },
      ],
    });

    // Refuses to write into a non-empty folder.
    expect(ws.cli(['export', '--case', 'A-2026-0042', '--out', out]).status).toBe(2);

    const original = path.join(
      out,
      index.items
        .find((i: { state: string }) => i.state === 'archived')
        .files.find((f: { kind: string }) => f.kind === 'original').path,
    );
    fs.chmodSync(original, 0o644);
    const bytes = fs.readFileSync(original);
    bytes[1000] = bytes[1000]! ^ 1;
    fs.writeFileSync(original, bytes);
    const broken = spawnSync('sh', ['verify.sh'], { cwd: out, encoding: 'utf8' });
    expect(broken.status).not.toBe(0);
    expect(broken.stdout).toMatch(/PACKAGE VERIFICATION FAILED/);
  }, 180_000);
});
