// The CLI contract: exit codes, clear errors at start, JSON outputs with `state`.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, makeWorkspace, type Workspace } from '../helpers/workspace.js';

let ws: Workspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

describe('sealdock CLI', () => {
  it('refuses to start without ffmpeg, naming the missing binary', () => {
    ws = makeWorkspace({ media: { ffmpegPath: '/nonexistent/bin/ffmpeg' } });
    const r = ws.cli(['start']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\/nonexistent\/bin\/ffmpeg/);
  });

  it('names the config key and the problem, and exits 1', () => {
    ws = makeWorkspace({ archive: { retention: { days: 30 } }, api: { port: 'eighty' } });
    const r = ws.cli(['status']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/archive\.retention\.days: must be at least 183/);
    expect(r.stderr).toMatch(/api\.port/);
  });

  it('exits 2 on usage errors', () => {
    ws = makeWorkspace();
    expect(ws.cli(['no-such-command']).status).toBe(2);
    expect(ws.cli(['list', '--state', 'lost']).status).toBe(2);
    expect(ws.cli(['verify']).status).toBe(2);
    expect(ws.cli(['devices', 'add', '../x']).status).toBe(2);
    const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    for (const c of [
      'start',
      'status',
      'list',
      'show',
      'annotate',
      'verify',
      'devices',
      'tokens',
      'hold',
      'release',
      'audit',
      'reindex',
      'seal',
    ]) {
      expect(help.stdout).toContain(c);
    }
  });

  it('reports status as JSON with every state, daemon or not', () => {
    ws = makeWorkspace();
    expect(ws.cli(['devices', 'add', 'DEV01', '--clock-offset', '-30']).status).toBe(0);
    const r = ws.cli(['status', '--json']);
    expect(r.status, r.stderr).toBe(1); // the daemon is not running: a check that fails
    const s = JSON.parse(r.stdout);
    expect(s.daemon).toEqual({ running: false, reason: expect.stringMatching(/^no heartbeat in /) });
    expect(Object.keys(s.states)).toEqual([
      'received',
      'preserved',
      'awaiting-annotation',
      'deriving',
      'sealed',
      'archived',
      'failed',
      'unplayable',
    ]);
    expect(JSON.parse(ws.cli(['devices', 'list', '--json']).stdout)).toMatchObject([
      { id: 'DEV01', clockOffsetSeconds: -30, bindings: [] },
    ]);
    const missing = ws.cli(['show', 'ev-000000000000000000000000']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no evidence/);
  });
});
