// A shift change: several device folders with footage and sidecars appear on a dock at once
// (moved in, as a dock's copy tool finishing does). Every file must be taken although the periodic
// walk of the dock is an hour away: by the watcher, or by the walk that follows watcher events
// (chokidar, busy with a burst, was seen missing whole folders). Real daemon, real footage.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeUniqueClip } from '../helpers/clips.js';
import {
  listFiles,
  makeWorkspace,
  PRESERVED_STATES,
  readCatalog,
  startDaemonProcess,
  waitFor,
} from '../helpers/workspace.js';

const SIDECAR = { caseNumber: 'A-2026-0042', purpose: '证明当事人拒绝检查', collector: { name: '张三', id: '031245' } };

describe('a burst of new device folders', () => {
  it('takes every file of every new folder without the periodic walk, each once, and releases them', async () => {
    const ws = makeWorkspace({
      intake: { quietPeriodMs: 300, pollIntervalMs: 100, scanIntervalMs: 3_600_000, stalledGraceMs: 1500 },
    });
    const daemon = startDaemonProcess(ws);
    await waitFor('daemon started', () => fs.existsSync(path.join(ws.dataDir, 'daemon-status.json')), 60_000);

    const staged = path.join(ws.dir, 'staged');
    const rels: string[] = [];
    const expected = new Set<string>();
    for (let d = 1; d <= 8; d++) {
      for (let i = 0; i < 3; i++) {
        const rel = path.join(`DEV${String(d).padStart(2, '0')}`, `DEV${d}_20261120081500_${i}.mp4`);
        expected.add(writeUniqueClip(path.join(staged, rel), rel, { sidecar: SIDECAR }));
        rels.push(rel);
      }
    }
    // Sidecars first, then the footage, each by rename: every file appears complete at once.
    for (const rel of rels) {
      fs.mkdirSync(path.join(ws.dock, path.dirname(rel)), { recursive: true });
      fs.renameSync(path.join(staged, `${rel}.json`), path.join(ws.dock, `${rel}.json`));
    }
    for (const rel of rels) fs.renameSync(path.join(staged, rel), path.join(ws.dock, rel));

    await waitFor(
      'every file taken and preserved',
      () => {
        const rows = readCatalog(ws);
        return rows.length === expected.size && rows.every((r) => PRESERVED_STATES.has(r.state));
      },
      120_000,
      200,
    );
    await waitFor(
      'dock emptied (footage and accepted sidecars released)',
      () => listFiles(ws.dock).length === 0,
      60_000,
    );
    const rows = readCatalog(ws);
    expect(new Set(rows.map((r) => r.sha256))).toEqual(expected);
    expect(rows).toHaveLength(expected.size);
    await daemon.stop();
  }, 240_000);
});
