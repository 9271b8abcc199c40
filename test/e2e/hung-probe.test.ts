// Preservation never waits on a media tool: ffprobe is replaced by a script that hangs for some
// inputs (and execs the real ffprobe for the rest). A real daemon, real footage, the local archive.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeUniqueClip } from '../helpers/clips.js';
import { listFiles, makeWorkspace, readCatalog, startDaemonProcess, waitFor } from '../helpers/workspace.js';

afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
});

const cleanups: (() => void)[] = [];

const COMPLETE = { caseNumber: '（2026）湘行罚字第17号', collector: '张三', purpose: '证明当事人拒绝检查' };

// A killed process stays a zombie until whoever inherited it reaps it; in a container that may
// be a PID 1 that reaps late or never. A zombie runs nothing, so it counts as killed.
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the state letter follows the command name, which is in parentheses and may hold spaces
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('a hung media tool', () => {
  it('holds only its own items: other footage is preserved, derived and archived; the hung originals are archived anyway', async () => {
    const tools = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-hang-'));
    cleanups.push(() => fs.rmSync(tools, { recursive: true, force: true }));
    const pids = path.join(tools, 'probe-pids');
    fs.mkdirSync(pids);
    const script = path.join(tools, 'ffprobe-hangs');
    // The probe runs on the spool copy (named by hash), so the script looks inside the file.
    fs.writeFileSync(
      script,
      [
        '#!/bin/sh',
        'for f; do :; done',
        // the sleep's pid, not the shell's: only a kill of the whole process group stops it
        `if [ -f "$f" ] && grep -q HANGPROBE "$f"; then sleep 3600 & echo $! > ${pids}/$!; wait; fi`,
        'exec ffprobe "$@"',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const ws = makeWorkspace({ media: { probeTimeoutSeconds: 3, ffprobePath: script } });

    const hung = [
      writeUniqueClip(path.join(ws.dock, 'DEV01', 'hang-a_20261121_173000.mp4'), 'HANGPROBE a', { sidecar: COMPLETE }),
      writeUniqueClip(path.join(ws.dock, 'DEV01', 'hang-b_20261121_173100.mp4'), 'HANGPROBE b', { sidecar: COMPLETE }),
    ];
    startDaemonProcess(ws);
    // the hung probes have started before any other footage arrives
    await waitFor('both probes hanging', () => fs.readdirSync(pids).length === 2, 60_000);
    const firstProbes = fs.readdirSync(pids).map(Number);
    const others = [1, 2, 3].map((n) =>
      writeUniqueClip(path.join(ws.dock, 'DEV02', `ok-${n}_20261121_17300${n}.mp4`), `fine ${n}`, {
        sidecar: COMPLETE,
      }),
    );

    const bySha = () => new Map(readCatalog(ws).map((r) => [r.sha256, r]));
    await waitFor(
      'the other footage archived',
      () => others.every((sha) => bySha().get(sha)?.state === 'archived'),
      120_000,
    );
    await waitFor(
      'the hung items failed at their media step',
      () => hung.every((sha) => bySha().get(sha)?.state === 'failed'),
      60_000,
    );
    for (const sha of hung) {
      const row = bySha().get(sha)!;
      const shown = JSON.parse(ws.cli(['show', row.id, '--json']).stdout) as {
        stage: string;
        error: string;
        resumeState: string;
      };
      expect(shown.stage).toBe('classify');
      expect(shown.error).toMatch(/timed out after 3 s/);
      // the original and the intake manifest are archived and verified all the same
      const files = listFiles(path.join(ws.archive, 'evidence', row.id));
      expect(files.filter((f) => f.startsWith('original/'))).toHaveLength(1);
      expect(files).toContain('manifest/0001.json');
      expect(files).toContain('manifest/0001.json.p7s');
    }
    // the dock files of the hung items were released (release: delete) after their verified archive
    await waitFor(
      'hung dock files released',
      () => !fs.readdirSync(path.join(ws.dock, 'DEV01')).some((f) => f.endsWith('.mp4')),
    );
    // the timed-out probes were killed with their whole process group, not left behind (the
    // retries with back-off start new ones, which hang again); the kill takes effect at once, but
    // the check must not race the kernel tearing the process down
    await waitFor(`first probes ${firstProbes.join(', ')} killed`, () => !firstProbes.some(running), 10_000);
  }, 240_000);
});
