// The five elements from their sources, the sealed manifest revisions, and tamper evidence:
// a real daemon, real footage, stock openssl as the independent checker.
import { originalObjectName } from '../../src/archive/keys.js';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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

const show = (w: Workspace, id: string) => JSON.parse(w.cli(['show', id, '--json']).stdout);
const stateOf = (w: Workspace, id: string) => readCatalog(w).find((r) => r.id === id)?.state;

function opensslVerify(w: Workspace, id: string, rev: string): { status: number; out: string } {
  const dir = path.join(w.archive, 'evidence', id, 'manifest');
  const r = spawnSync(
    'openssl',
    [
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      path.join(dir, `${rev}.json.p7s`),
      '-content',
      path.join(dir, `${rev}.json`),
      '-CAfile',
      path.join(w.dataDir, 'dev-seal', 'ca.pem'),
      '-purpose',
      'any',
      '-out',
      '/dev/null',
    ],
    { encoding: 'utf8' },
  );
  return { status: r.status ?? -1, out: r.stdout + r.stderr };
}

function flipByte(file: string, at: number): void {
  fs.chmodSync(file, 0o644);
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, at);
  b[0] = b[0]! ^ 0x01;
  fs.writeSync(fd, b, 0, 1, at);
  fs.closeSync(fd);
}

describe('elements and seal', () => {
  it('takes the collector from the device binding, the place from the dock, the case number from the sidecar; seals, derives, stamps and verifies', async () => {
    ws = makeWorkspace();
    expect(ws.cli(['devices', 'add', 'DEV01', '--label', '一号执法仪']).status).toBe(0);
    expect(
      ws.cli([
        'devices',
        'bind',
        'DEV01',
        '--collector',
        '张三',
        '--collector-id',
        '031245',
        '--from',
        '2026-11-19T00:00:00+08:00',
      ]).status,
    ).toBe(0);
    // A second, later binding must not be the one used: the recording was made before it.
    expect(
      ws.cli([
        'devices',
        'bind',
        'DEV01',
        '--collector',
        '李四',
        '--from',
        '2026-11-01T00:00:00+08:00',
        '--to',
        '2026-11-10T00:00:00+08:00',
      ]).status,
    ).toBe(0);
    const overlap = ws.cli(['devices', 'bind', 'DEV01', '--collector', '王五', '--from', '2026-11-20T00:00:00+08:00']);
    expect(overlap.status).toBe(1);
    expect(overlap.stderr).toMatch(/overlaps/);

    const dest = path.join(ws.dock, 'DEV01', 'DEV01_20261120081500_0001.MP4');
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(`${dest}.json`, JSON.stringify({ caseNumber: 'A-2026-0042', purpose: '证明当事人拒绝检查' }));
    fs.copyFileSync(fixture('h264-aac.mp4'), dest);
    daemon = startDaemonProcess(ws);
    const id = (await waitFor('archived', () => readCatalog(ws!).find((r) => r.state === 'archived'), 90_000)).id;

    const item = show(ws, id);
    expect(item.elements).toEqual({
      caseNumber: 'A-2026-0042',
      recordedAt: { start: '2026-11-20T08:15:00+08:00', durationSeconds: 4 },
      place: { text: '东街派出所', lat: 32.35, lon: 106.83 },
      collector: { name: '张三', id: '031245' },
      purpose: '证明当事人拒绝检查',
    });
    expect(item.elementSources).toEqual({
      caseNumber: 'sidecar',
      recordedAt: 'media',
      place: 'dock',
      collector: 'binding',
      purpose: 'sidecar',
    });
    expect(item.manifestRevision).toBe(2);

    // Stock openssl verifies both revisions.
    expect(opensslVerify(ws, id, '0001').status).toBe(0);
    expect(opensslVerify(ws, id, '0002').status).toBe(0);
    const rev2 = JSON.parse(fs.readFileSync(path.join(ws.archive, 'evidence', id, 'manifest', '0002.json'), 'utf8'));
    const rev1Bytes = fs.readFileSync(path.join(ws.archive, 'evidence', id, 'manifest', '0001.json'));
    expect(rev2.previousRevisionSha256).toBe(execFileSync('sha256sum', { input: rev1Bytes }).toString().split(' ')[0]);
    expect(rev2.derivative.provenance.method).toBe('remux');
    expect(rev2.derivative.provenance.parentSha256).toBe(item.sha256);

    // The derivative carries the elements in its container tags.
    const tags = JSON.parse(
      execFileSync('ffprobe', [
        '-v',
        'error',
        '-show_entries',
        'format_tags',
        '-of',
        'json',
        path.join(ws.archive, 'evidence', id, 'derivative', '0002.mp4'),
      ]).toString(),
    ).format.tags;
    expect(tags).toMatchObject({
      sealdock_case_number: 'A-2026-0042',
      sealdock_collector: '张三 (031245)',
      sealdock_place: '东街派出所',
      sealdock_evidence_id: id,
      sealdock_original_sha256: item.sha256,
    });

    const verify = ws.cli(['verify', id]);
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    await daemon.stop();
    daemon = undefined;

    // One flipped byte anywhere makes verification fail, and openssl agrees for the manifest.
    const m2 = path.join(ws.archive, 'evidence', id, 'manifest', '0002.json');
    const original = fs.readFileSync(m2);
    flipByte(m2, 20);
    expect(opensslVerify(ws, id, '0002').status).not.toBe(0);
    let r = ws.cli(['verify', id]);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/FAILED/);
    fs.writeFileSync(m2, original);
    expect(ws.cli(['verify', id]).status).toBe(0);

    const derivative = path.join(ws.archive, 'evidence', id, 'derivative', '0002.mp4');
    flipByte(derivative, Math.floor(fs.statSync(derivative).size / 2));
    r = ws.cli(['verify', id]);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/HASH FAILED: evidence\/.*\/derivative\/0002\.mp4/);
    flipByte(derivative, Math.floor(fs.statSync(derivative).size / 2));

    const orig = path.join(
      ws.archive,
      'evidence',
      id,
      'original',
      originalObjectName(Buffer.from('DEV01_20261120081500_0001.MP4')),
    );
    flipByte(orig, 100);
    r = ws.cli(['verify', id]);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/HASH FAILED: evidence\/.*\/original\//);
  }, 180_000);

  it('applies a sidecar that lands after its footage was taken, once, and audits each element', async () => {
    ws = makeWorkspace({}, { release: 'keep' });
    const dest = path.join(ws.dock, 'DEV03', 'DEV03_20261120081500_0001.MP4');
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(fixture('h264-aac.mp4'), dest);
    daemon = startDaemonProcess(ws);
    const id = (
      await waitFor(
        'awaiting annotation',
        () => readCatalog(ws!).find((r) => r.state === 'awaiting-annotation'),
        60_000,
      )
    ).id;
    expect(show(ws, id).missing).toEqual(['caseNumber', 'collector', 'purpose']);

    fs.writeFileSync(
      `${dest}.json`,
      JSON.stringify({ caseNumber: 'A-2026-0077', collector: { name: '赵六', id: '055' }, purpose: '证明现场情况' }),
    );
    await waitFor('archived after the late sidecar', () => stateOf(ws!, id) === 'archived', 90_000);
    const item = show(ws, id);
    expect(item.elementSources).toMatchObject({ caseNumber: 'sidecar', collector: 'sidecar', purpose: 'sidecar' });
    expect(item.sidecar).toMatchObject({ name: 'DEV03_20261120081500_0001.MP4.json' });
    // (the media step's own changes, e.g. the time from creation_time, are audited with reason 'media')
    const changes = JSON.parse(
      ws.cli(['audit', 'list', '--json', '--oldest-first', '--evidence', id, '--action', 'element-changed']).stdout,
    ).filter((c: { details: { reason?: string } }) => c.details.reason !== 'media');
    expect(changes.map((c: { details: { element: string } }) => c.details.element)).toEqual([
      'caseNumber',
      'collector',
      'purpose',
    ]);
    // A restart re-reads the same sidecar: nothing changes, nothing is audited twice.
    await daemon.stop();
    daemon = startDaemonProcess(ws);
    await new Promise((r) => setTimeout(r, 3000));
    expect(
      JSON.parse(
        ws.cli(['audit', 'list', '--json', '--oldest-first', '--evidence', id, '--action', 'element-changed']).stdout,
      ).filter((c: { details: { reason?: string } }) => c.details.reason !== 'media'),
    ).toHaveLength(3);
    expect(show(ws, id).manifestRevision).toBe(2);
  }, 180_000);

  it('waits in awaiting-annotation until the case number arrives by annotation, then seals a new revision; an amendment adds another', async () => {
    ws = makeWorkspace({}, { purpose: '日常执法记录' });
    expect(ws.cli(['devices', 'add', 'DEV02']).status).toBe(0);
    expect(
      ws.cli(['devices', 'bind', 'DEV02', '--collector', '王五', '--from', '2026-01-01T00:00:00+08:00']).status,
    ).toBe(0);
    const dest = path.join(ws.dock, 'DEV02', 'DEV02_20261120081500_0001.MOV');
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(fixture('h264-aac.mov'), dest);
    daemon = startDaemonProcess(ws);
    const id = (
      await waitFor(
        'awaiting annotation',
        () => readCatalog(ws!).find((r) => r.state === 'awaiting-annotation'),
        60_000,
      )
    ).id;
    expect(show(ws, id).missing).toEqual(['caseNumber']);

    const bad = ws.cli(['annotate', id, '--case', 'A/../../x']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(
      /案件编号不能含有路径成分 \. 或 \.\. \/ the case number must not contain the path parts/,
    );

    const ok = ws.cli(['annotate', id, '--case', '南公(治)行罚决字〔2026〕42号', '--reason', '补录案件编号']);
    expect(ok.status, ok.stderr).toBe(0);
    await waitFor('archived after annotation', () => stateOf(ws!, id) === 'archived', 90_000);
    expect(show(ws, id).manifestRevision).toBe(2);

    expect(ws.cli(['annotate', id, '--purpose', '证明当事人阻碍执法', '--reason', '更正']).status).toBe(0);
    await waitFor(
      'amended revision archived',
      () => stateOf(ws!, id) === 'archived' && show(ws!, id).manifestRevision === 3,
      90_000,
    );
    const manifests = fs.readdirSync(path.join(ws.archive, 'evidence', id, 'manifest')).sort();
    expect(manifests).toEqual([
      '0001.json',
      '0001.json.p7s',
      '0002.json',
      '0002.json.p7s',
      '0003.json',
      '0003.json.p7s',
    ]);
    const rev3 = JSON.parse(fs.readFileSync(path.join(ws.archive, 'evidence', id, 'manifest', '0003.json'), 'utf8'));
    expect(rev3.reason).toBe('amendment');
    expect(rev3.elements.purpose).toBe('证明当事人阻碍执法');
    expect(rev3.elementSources.purpose).toBe('annotation');
    // The sealed amendment says itself what changed, from what, by whom, when and why.
    expect(rev3.changes).toHaveLength(1);
    expect(rev3.changes[0]).toMatchObject({
      element: 'purpose',
      old: '日常执法记录',
      new: '证明当事人阻碍执法',
      source: 'annotation',
      reason: '更正',
    });
    expect(rev3.changes[0].changedBy).toMatch(/^cli:/);
    expect(Date.parse(rev3.changes[0].changedAt)).toBeLessThanOrEqual(Date.parse(rev3.createdAt));
    // Earlier revisions are untouched: an amendment adds, never rewrites.
    const rev2 = JSON.parse(fs.readFileSync(path.join(ws.archive, 'evidence', id, 'manifest', '0002.json'), 'utf8'));
    expect(rev2.elements.purpose).toBe('日常执法记录');
    expect(rev2.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          element: 'caseNumber',
          old: null,
          new: '南公(治)行罚决字〔2026〕42号',
          reason: '补录案件编号',
        }),
      ]),
    );

    const changes = JSON.parse(
      ws.cli(['audit', 'list', '--json', '--oldest-first', '--evidence', id, '--action', 'element-changed']).stdout,
    ).filter((c: { details: { reason?: string } }) => c.details.reason !== 'media');
    expect(
      changes.map((c: { details: { element: string; old: unknown; new: unknown } }) => [
        c.details.element,
        c.details.old,
        c.details.new,
      ]),
    ).toEqual([
      ['caseNumber', null, '南公(治)行罚决字〔2026〕42号'],
      ['purpose', '日常执法记录', '证明当事人阻碍执法'],
    ]);
    expect(changes[0].actor).toMatch(/^cli:/);
    expect(ws.cli(['verify', id]).status).toBe(0);
  }, 240_000);
});
