// Elements as they come from the field: a UTC host reading Chinese file-name times, a sidecar
// with one bad value among good ones, a device binding entered after the footage arrived, and
// defaults that must not pass for knowledge. A real daemon, real footage, openssl-free checks of
// the sealed manifests read straight from the local archive.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeUniqueClip } from '../helpers/clips.js';
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
const manifest = (w: Workspace, id: string, rev: string) =>
  JSON.parse(fs.readFileSync(path.join(w.archive, 'evidence', id, 'manifest', `${rev}.json`), 'utf8'));
const idOf = async (w: Workspace, sha: string, states: string[]) =>
  (
    await waitFor(
      `item in ${states.join('|')}`,
      () => readCatalog(w).find((r) => r.sha256 === sha && states.includes(r.state)),
      90_000,
    )
  ).id;

describe('elements from the field', () => {
  it('reads a file-name time in the configured zone on a UTC host and seals it with +08:00', async () => {
    // The dock sets no zone: the top-level timezone (default Asia/Shanghai) applies, not the host's.
    ws = makeWorkspace({}, { timezone: null });
    daemon = startDaemonProcess(ws, { TZ: 'UTC' });
    const sha = writeUniqueClip(path.join(ws.dock, 'DEV01', 'DEV01_20261121_173000.mp4'), 'utc host');
    const id = await idOf(ws, sha, ['awaiting-annotation']);
    // Revision 0001 is sealed before any media tool runs: its time is the file name's.
    const intake = manifest(ws, id, '0001');
    expect(intake.elements.recordedAt.start).toBe('2026-11-21T17:30:00+08:00');
    expect(intake.elementSources.recordedAt).toBe('filename');
    expect(intake.media).toBeNull();
    expect(daemon.log()).toMatch(/host's time zone \(UTC\) differs from the configured timezone \(Asia\/Shanghai\)/);
    // The media step found the recorder's creation_time afterwards; still shown with the offset.
    expect(show(ws, id).elements.recordedAt.start).toBe('2026-11-20T08:15:00+08:00');
  }, 180_000);

  it('applies the good values of a sidecar with one bad case number and says exactly which key was wrong', async () => {
    ws = makeWorkspace();
    daemon = startDaemonProcess(ws);
    const sha = writeUniqueClip(path.join(ws.dock, 'DEV01', 'clip.mp4'), 'partial sidecar', {
      sidecar: {
        caseNumber: ' （2026）湘行罚字第17号',
        recordedAt: '2026-11-20T08:15:00+08:00',
        place: '东街12号',
        collector: { name: '张三', id: '031245' },
        purpose: '证明当事人拒绝检查',
      },
    });
    const id = await idOf(ws, sha, ['awaiting-annotation']);
    const item = show(ws, id);
    expect(item.missing).toEqual(['caseNumber']);
    expect(item.elementSources).toMatchObject({
      recordedAt: 'sidecar',
      place: 'sidecar',
      collector: 'sidecar',
      purpose: 'sidecar',
    });
    expect(item.sidecar.rejected).toEqual([
      {
        key: 'caseNumber',
        reason: expect.stringMatching(/开头或结尾有空格 \/ the case number begins or ends with a space/),
      },
    ]);
    const text = ws.cli(['show', id]).stdout;
    expect(text).toMatch(/sidecar clip\.mp4\.json: applied recordedAt, place, collector, purpose; refused:/);
    expect(text).toMatch(/ {2}caseNumber: 案件编号开头或结尾有空格/);
    const audit = JSON.parse(
      ws.cli(['audit', 'list', '--json', '--evidence', id, '--action', 'sidecar-values-rejected']).stdout,
    );
    expect(audit).toHaveLength(1);
    expect(audit[0].details.applied).toEqual(['recordedAt', 'place', 'collector', 'purpose']);

    // a case number in the agencies' own format, through the API-facing CLI annotate
    const ok = ws.cli(['annotate', id, '--case', '湘公（交）决字〔2026〕第00123号']);
    expect(ok.status, ok.stderr).toBe(0);
    await waitFor('archived', () => readCatalog(ws!).find((r) => r.id === id)?.state === 'archived', 90_000);
    expect(manifest(ws, id, '0002').elements.caseNumber).toBe('湘公（交）决字〔2026〕第00123号');
    // the listing tells unconfirmed apart from missing: nothing here came from a default
    const listed = JSON.parse(ws.cli(['list', '--json']).stdout);
    expect(listed[0]).toMatchObject({ missing: [], unconfirmed: [] });
  }, 180_000);

  it('marks a dock default place and an mtime time unconfirmed, and holds derivation when configured to', async () => {
    ws = makeWorkspace(
      { elements: { unconfirmedBlocksDerivation: true } },
      { place: '未配置采集地点', layout: 'flat', fileNamePatterns: [] },
    );
    daemon = startDaemonProcess(ws);
    // no file-name pattern: until the media step reads creation_time, only the mtime is known
    const sha = writeUniqueClip(path.join(ws.dock, 'clip.mp4'), 'defaults', {
      sidecar: { caseNumber: 'A/2026/17', collector: '张三', purpose: '证明现场情况' },
    });
    const id = await idOf(ws, sha, ['awaiting-annotation']);
    const item = show(ws, id);
    expect(item.missing).toEqual([]);
    expect(item.unconfirmed).toEqual(['place']);
    expect(ws.cli(['show', id]).stdout).toMatch(/place: +未配置采集地点.* +\[dock, unconfirmed\]/);
    expect(ws.cli(['list']).stdout).toMatch(/unconfirmed/);
    const intake = manifest(ws, id, '0001');
    expect(intake.elementSources).toMatchObject({ recordedAt: 'mtime', place: 'dock' });
    expect(intake.unconfirmedElements).toEqual(['recordedAt', 'place']);
    const report = JSON.parse(ws.cli(['report', '--year', String(new Date().getUTCFullYear()), '--json']).stdout);
    expect(report.unconfirmedElements).toEqual([{ element: 'place', items: 1 }]);

    ws.cli(['annotate', id, '--place', '东街12号']);
    await waitFor('archived', () => readCatalog(ws!).find((r) => r.id === id)?.state === 'archived', 90_000);
    expect(manifest(ws, id, '0002').unconfirmedElements).toEqual([]);
  }, 180_000);

  it('fills in the collector when the binding is entered after the footage arrived, with a new revision', async () => {
    ws = makeWorkspace();
    expect(ws.cli(['devices', 'add', 'DEV05']).status).toBe(0);
    daemon = startDaemonProcess(ws);
    const sha = writeUniqueClip(path.join(ws.dock, 'DEV05', 'DEV05_20261120081500_0001.MP4'), 'late binding', {
      sidecar: { caseNumber: 'A-2026-0099', purpose: '证明现场情况' },
    });
    const id = await idOf(ws, sha, ['awaiting-annotation']);
    expect(show(ws, id).missing).toEqual(['collector']);

    const bound = ws.cli([
      'devices',
      'bind',
      'DEV05',
      '--collector',
      '李四',
      '--collector-id',
      '0077',
      '--from',
      '2026-11-01T00:00:00+08:00',
    ]);
    expect(bound.status, bound.stderr).toBe(0);
    expect(bound.stdout).toMatch(/collector filled in for 1 item/);
    await waitFor('archived', () => readCatalog(ws!).find((r) => r.id === id)?.state === 'archived', 90_000);
    const item = show(ws, id);
    expect(item.elements.collector).toEqual({ name: '李四', id: '0077' });
    expect(item.elementSources.collector).toBe('binding');
    expect(manifest(ws, id, '0002').elements.collector).toEqual({ name: '李四', id: '0077' });
    const audit = JSON.parse(
      ws.cli(['audit', 'list', '--json', '--evidence', id, '--action', 'element-changed']).stdout,
    );
    expect(
      audit.some(
        (a: { details: { element: string; reason: string } }) =>
          a.details.element === 'collector' && /binding/.test(a.details.reason),
      ),
    ).toBe(true);

    // A binding for a period that does not cover the recording changes nothing.
    expect(ws.cli(['devices', 'add', 'DEV06']).status).toBe(0);
    const other = ws.cli([
      'devices',
      'bind',
      'DEV05',
      '--collector',
      '王五',
      '--from',
      '2025-01-01T00:00:00+08:00',
      '--to',
      '2025-02-01T00:00:00+08:00',
    ]);
    expect(other.status, other.stderr).toBe(0);
    expect(other.stdout).not.toMatch(/filled in/);
  }, 180_000);
});
