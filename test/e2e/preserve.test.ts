// The Preserve phase end to end, with a real daemon process watching a real folder, real
// footage, the real SQLite catalog and the local archive. Nothing is mocked.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/fixtures.js';
import {
  listFiles,
  makeWorkspace,
  PRESERVED_STATES,
  readCatalog,
  startDaemonProcess,
  waitFor,
  type DaemonProcess,
  type Workspace,
} from '../helpers/workspace.js';

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

let ws: Workspace | undefined;
let daemon: DaemonProcess | undefined;

/** A unique, playable MP4: the fixture plus a unique trailing free atom. */
function uniqueClip(dest: string, tag: string): string {
  const base = fs.readFileSync(fixture('h264-aac.mp4'));
  const payload = Buffer.from(`sealdock-test ${tag} ${randomBytes(8).toString('hex')}`);
  const atom = Buffer.alloc(8);
  atom.writeUInt32BE(8 + payload.length, 0);
  atom.write('free', 4, 'latin1');
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.writeFileSync(dest, Buffer.concat([base, atom, payload]));
  return sha256(dest);
}

function readArchivedOriginal(w: Workspace): string {
  const id = readCatalog(w)[0]!.id;
  const dir = path.join(w.archive, 'evidence', id, 'original');
  return path.join(dir, fs.readdirSync(dir)[0]!);
}

function expectArchivedOnce(w: Workspace, expected: Map<string, string>): void {
  const rows = readCatalog(w);
  const bySha = new Map(rows.map((r) => [r.sha256, r]));
  expect(rows.length).toBe(expected.size);
  for (const [sha, name] of expected) {
    const row = bySha.get(sha);
    expect(row, `${name} catalogued`).toBeDefined();
    expect(PRESERVED_STATES.has(row!.state), `${name} preserved (is ${row!.state})`).toBe(true);
    const originals = listFiles(path.join(w.archive, 'evidence', row!.id, 'original'));
    expect(originals).toHaveLength(1);
    expect(sha256(path.join(w.archive, 'evidence', row!.id, 'original', originals[0]!))).toBe(sha);
    // The intake revision; an undecodable original (the .bin files) goes on to seal 0002 with that finding.
    expect(listFiles(path.join(w.archive, 'evidence', row!.id, 'manifest')).slice(0, 2)).toEqual([
      '0001.json',
      '0001.json.p7s',
    ]);
  }
  // Nothing half-written anywhere: no spool temp files, no archive temp files.
  expect(listFiles(path.join(w.dataDir, 'spool', 'tmp'))).toEqual([]);
  expect(listFiles(path.join(w.archive, '.sealdock-tmp'))).toEqual([]);
  // Every archived file is a complete, known object.
  const archivedOriginals = listFiles(path.join(w.archive, 'evidence')).filter((f) => f.includes('/original/'));
  expect(archivedOriginals).toHaveLength(expected.size);
}

describe('preserve phase with a real daemon', () => {
  it('ingests files dropped one by one, then a burst of 50, each archived once and released from the dock', async () => {
    ws = makeWorkspace();
    daemon = startDaemonProcess(ws);
    const expected = new Map<string, string>();
    for (let i = 0; i < 3; i++) {
      const name = `DEV01/DEV01_2026112008150${i}_000${i}.MP4`;
      expected.set(uniqueClip(path.join(ws.dock, name), name), name);
      await waitFor(`item ${i}`, () => readCatalog(ws!).length === i + 1, 30_000);
    }
    const burstDir = path.join(ws.dock, 'DEV02');
    for (let i = 0; i < 50; i++) {
      const name = `DEV02_20261120090000_${String(i).padStart(4, '0')}.MP4`;
      expected.set(uniqueClip(path.join(burstDir, name), name), `DEV02/${name}`);
    }
    await waitFor(
      'all 53 preserved',
      () => {
        const rows = readCatalog(ws!);
        return rows.length === 53 && rows.every((r) => PRESERVED_STATES.has(r.state));
      },
      180_000,
      500,
    );
    expectArchivedOnce(ws, expected);
    // release: delete → the dock is empty once every original is verified in the archive
    await waitFor('dock emptied', () => listFiles(ws!.dock).length === 0, 30_000);
    const audit = ws.cli(['audit', 'verify', '--json']);
    expect(audit.status).toBe(0);
    expect(JSON.parse(audit.stdout).rows).toBeGreaterThan(53 * 3);
    const devices = new Set(
      JSON.parse(ws.cli(['list', '--json', '--limit', '1000']).stdout).map((r: { deviceId: string }) => r.deviceId),
    );
    expect(devices).toEqual(new Set(['DEV01', 'DEV02']));
  }, 300_000);

  it('takes a file written slowly over several seconds only once, complete', async () => {
    ws = makeWorkspace({ intake: { quietPeriodMs: 1500, pollIntervalMs: 100 } });
    daemon = startDaemonProcess(ws);
    const dest = path.join(ws.dock, 'DEV01', 'slow_20261120081500_0001.MP4');
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    const content = fs.readFileSync(fixture('h264-aac.mp4'));
    const fd = fs.openSync(dest, 'w');
    const chunks = 8;
    const step = Math.ceil(content.length / chunks);
    for (let i = 0; i < chunks; i++) {
      fs.writeSync(fd, content.subarray(i * step, (i + 1) * step));
      await new Promise((r) => setTimeout(r, 700)); // 5.6 s in all, pauses shorter than the quiet period
      expect(readCatalog(ws).length, 'nothing taken while the recorder is still writing').toBe(0);
    }
    fs.closeSync(fd);
    const expectedSha = createHash('sha256').update(content).digest('hex');
    const rows = await waitFor('slow file preserved', () => {
      const r = readCatalog(ws!);
      return r.length === 1 && PRESERVED_STATES.has(r[0]!.state) ? r : null;
    });
    expect(rows[0]!.sha256).toBe(expectedSha);
    expect(rows[0]!.size).toBe(content.length);
  }, 120_000);

  it('recognises a re-docked copy (same content, other name) and does not duplicate it', async () => {
    ws = makeWorkspace({}, { release: 'keep' });
    daemon = startDaemonProcess(ws);
    const first = path.join(ws.dock, 'DEV01', 'DEV01_20261120081500_0001.MP4');
    const sha = uniqueClip(first, 'redock');
    await waitFor('first preserved', () => readCatalog(ws!).some((r) => PRESERVED_STATES.has(r.state)));
    const again = path.join(ws.dock, 'DEV03', 'copy-of-the-same.MP4');
    fs.mkdirSync(path.dirname(again), { recursive: true });
    fs.copyFileSync(first, again);
    const id = readCatalog(ws)[0]!.id;
    await waitFor(
      're-dock recorded',
      () => JSON.parse(ws!.cli(['audit', 'list', '--json', '--action', 'redocked']).stdout).length === 1,
    );
    const rows = readCatalog(ws);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.sha256).toBe(sha);
    const show = JSON.parse(ws.cli(['show', id, '--json']).stdout);
    expect(show.custody.map((c: { action: string }) => c.action)).toContain('redocked');
    // release: keep → both dock files stay where they are
    expect(listFiles(ws.dock)).toEqual(['DEV01/DEV01_20261120081500_0001.MP4', 'DEV03/copy-of-the-same.MP4']);
    // and a restart does not take them again
    await daemon.stop();
    daemon = startDaemonProcess(ws);
    await new Promise((r) => setTimeout(r, 2500));
    expect(readCatalog(ws)).toHaveLength(1);
    expect(JSON.parse(ws.cli(['audit', 'list', '--json', '--action', 'redocked']).stdout)).toHaveLength(1);
  }, 120_000);

  it('releases a re-docked copy too, never takes an empty file, and keeps a rejected sidecar', async () => {
    ws = makeWorkspace();
    daemon = startDaemonProcess(ws);
    const first = path.join(ws.dock, 'DEV01', 'DEV01_20261120081500_0001.MP4');
    uniqueClip(first, 'release-redock');
    const empty = path.join(ws.dock, 'DEV01', 'not-yet-written.MP4');
    fs.writeFileSync(empty, '');
    await waitFor('first released', () => readCatalog(ws!).length === 1 && !fs.existsSync(first), 60_000);
    const copy = path.join(ws.dock, 'DEV05', 'same-again.MP4');
    fs.mkdirSync(path.dirname(copy), { recursive: true });
    fs.writeFileSync(copy, fs.readFileSync(readArchivedOriginal(ws)));
    fs.writeFileSync(`${copy}.json`, JSON.stringify({ caseNumber: '../../etc' }));
    await waitFor('re-dock released (deleted)', () => !fs.existsSync(copy), 60_000);
    expect(readCatalog(ws)).toHaveLength(1);
    const released = JSON.parse(
      ws.cli(['audit', 'list', '--json', '--oldest-first', '--action', 'dock-file-released']).stdout,
    );
    expect(
      released.map((r: { details: { relPath: string; release: string } }) => [r.details.relPath, r.details.release]),
    ).toEqual([
      ['DEV01/DEV01_20261120081500_0001.MP4', 'deleted'],
      ['DEV05/same-again.MP4', 'deleted'],
    ]);
    // A rejected sidecar is never deleted: it stays on the dock for someone to fix.
    expect(fs.existsSync(`${copy}.json`)).toBe(true);
    expect(fs.existsSync(empty), 'an empty file is left alone').toBe(true);
  }, 120_000);

  it('ignores temporary names, hidden files and symbolic links, and never follows a link out of the dock', async () => {
    ws = makeWorkspace();
    const secret = path.join(ws.dir, 'outside-secret.txt');
    fs.writeFileSync(secret, 'not evidence');
    fs.mkdirSync(path.join(ws.dock, 'DEV01'), { recursive: true });
    fs.symlinkSync(secret, path.join(ws.dock, 'DEV01', 'link.MP4'));
    fs.writeFileSync(path.join(ws.dock, 'DEV01', 'recording.MP4.part'), 'half');
    fs.writeFileSync(path.join(ws.dock, 'DEV01', '.hidden.MP4'), 'hidden');
    uniqueClip(path.join(ws.dock, 'DEV01', 'real.MP4'), 'real');
    daemon = startDaemonProcess(ws);
    await waitFor('real file preserved', () => readCatalog(ws!).some((r) => PRESERVED_STATES.has(r.state)));
    await new Promise((r) => setTimeout(r, 1500));
    const rows = readCatalog(ws);
    expect(rows.map((r) => r.original_name)).toEqual(['real.MP4']);
    expect(fs.readFileSync(secret, 'utf8')).toBe('not evidence');
    expect(fs.lstatSync(path.join(ws.dock, 'DEV01', 'link.MP4')).isSymbolicLink()).toBe(true);
  });

  it('survives kill -9 again and again during intake and archiving: every file archived exactly once, nothing half-written', async () => {
    ws = makeWorkspace({ intake: { quietPeriodMs: 200, pollIntervalMs: 50 } });
    const expected = new Map<string, string>();
    // Large enough that copies and archive writes are in progress when the kill lands.
    for (let i = 0; i < 8; i++) {
      const name = `DEV0${i % 3}/big_${i}.bin`;
      const file = path.join(ws.dock, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, randomBytes(24 * 1024 * 1024));
      expected.set(sha256(file), name);
    }
    for (let i = 0; i < 6; i++) {
      const name = `DEV09/clip_${i}.MP4`;
      expected.set(uniqueClip(path.join(ws.dock, name), name), name);
    }
    let kills = 0;
    let sawIntermediate = false;
    for (let round = 0; round < 8; round++) {
      daemon = startDaemonProcess(ws);
      await new Promise((r) => setTimeout(r, 700 + ((round * 337) % 900)));
      const rows = readCatalog(ws);
      if (rows.length < expected.size || rows.some((r) => !PRESERVED_STATES.has(r.state))) sawIntermediate = true;
      await daemon.kill9();
      daemon = undefined;
      kills++;
    }
    daemon = startDaemonProcess(ws);
    await waitFor(
      'everything preserved after the kills',
      () => {
        const rows = readCatalog(ws!);
        return rows.length === expected.size && rows.every((r) => PRESERVED_STATES.has(r.state));
      },
      180_000,
      500,
    );
    await waitFor('dock emptied', () => listFiles(ws!.dock).length === 0, 30_000);
    expect(kills).toBe(8);
    expect(sawIntermediate, 'the kills landed while work was outstanding').toBe(true);
    // The clips are still being derived and archived: a temp file of that live work is not a
    // leftover. A clean stop lets every running job finish or clean up; then nothing may remain.
    await daemon!.stop();
    expectArchivedOnce(ws, expected);
    const audit = ws.cli(['audit', 'verify']);
    expect(audit.status, audit.stdout + audit.stderr).toBe(0);
  }, 300_000);
});
