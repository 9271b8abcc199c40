// A throw-away sealdock installation for a test: its own dataDir, docks and local archive, a
// config file pointing at them, and a real daemon process started from the compiled CLI.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { repoRoot } from './fixtures.js';

export interface Workspace {
  dir: string;
  dataDir: string;
  dock: string;
  archive: string;
  configFile: string;
  /** runs `sealdock <args>` against this workspace and returns stdout, stderr and the exit code */
  cli(args: string[], opts?: { env?: NodeJS.ProcessEnv }): { stdout: string; stderr: string; status: number };
  cleanup(): void;
}

export const CLI = path.join(repoRoot, 'bin', 'sealdock.js');

/**
 * What the running test made: its workspaces and daemons, ended after it by test/helpers/teardown.ts
 * (a setup file), so no test file repeats the same afterEach. Only what a test makes while it
 * runs is tracked (between beforeEach and afterEach): a workspace or daemon made in beforeAll
 * lives for its whole describe block, and its afterAll ends it.
 */
let tracked: { workspaces: Workspace[]; daemons: DaemonProcess[] } | null = null;

export function trackTestResources(): void {
  tracked = { workspaces: [], daemons: [] };
}

/** Kills (SIGKILL: teardown is not a test of shutdown) every daemon the test started, then removes its workspaces. */
export async function endTestResources(opts: { printDaemonLogs: boolean }): Promise<void> {
  const t = tracked;
  tracked = null;
  if (!t) return;
  for (const d of t.daemons) {
    if (opts.printDaemonLogs) console.log(`--- daemon log (tail) ---\n${d.log().slice(-6000)}`);
    await d.kill9().catch(() => undefined);
  }
  for (const w of t.workspaces) w.cleanup();
}

export function makeWorkspace(
  overrides: Record<string, unknown> = {},
  dockOverrides: Record<string, unknown> = {},
): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-test-'));
  const dataDir = path.join(dir, 'data');
  const dock = path.join(dir, 'dock');
  const archive = path.join(dir, 'archive');
  fs.mkdirSync(dock, { recursive: true });
  const config = {
    dataDir,
    docks: [
      { id: 'dock1', path: dock, place: '东街派出所', release: 'delete', timezone: 'Asia/Shanghai', ...dockOverrides },
    ],
    // A short stalled-copy grace: fixtures such as truncated.mp4 are incomplete MP4s on purpose.
    intake: { quietPeriodMs: 400, pollIntervalMs: 100, scanIntervalMs: 1000, stalledGraceMs: 1500 },
    archive: { local: { path: archive } },
    pipeline: { retry: { baseDelayMs: 200, maxDelayMs: 2000 } },
    api: { enabled: false },
    log: { level: 'info' },
    ...overrides,
  };
  const configFile = path.join(dir, 'sealdock.yaml');
  fs.writeFileSync(configFile, stringify(config));
  const ws: Workspace = {
    dir,
    dataDir,
    dock,
    archive,
    configFile,
    cli(args, opts = {}) {
      const r = spawnSync(process.execPath, [CLI, '--config', configFile, ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...opts.env },
        timeout: 60_000,
      });
      return { stdout: r.stdout, stderr: r.stderr, status: r.status ?? -1 };
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  tracked?.workspaces.push(ws);
  return ws;
}

export interface DaemonProcess {
  child: ChildProcess;
  log: () => string;
  /** SIGTERM and wait */
  stop(): Promise<number | null>;
  /** SIGKILL: no chance to clean up */
  kill9(): Promise<void>;
}

export function startDaemonProcess(ws: Workspace, env: NodeJS.ProcessEnv = {}): DaemonProcess {
  const logFile = path.join(ws.dir, `daemon-${Date.now()}-${Math.random().toString(16).slice(2)}.log`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [CLI, '--config', ws.configFile, 'start'], {
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
  });
  fs.closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const daemon: DaemonProcess = {
    child,
    log: () => fs.readFileSync(logFile, 'utf8'),
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
  };
  tracked?.daemons.push(daemon);
  return daemon;
}

export interface CatalogRow {
  id: string;
  sha256: string;
  state: string;
  original_name: string;
  size: number;
}

/** Reads the real catalog file (read-only) the way an auditor's tool would. */
export function readCatalog(ws: Workspace): CatalogRow[] {
  const file = path.join(ws.dataDir, 'catalog.sqlite');
  if (!fs.existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db
      .prepare('SELECT id, sha256, state, original_name, size FROM evidence ORDER BY received_at, id')
      .all() as CatalogRow[];
  } catch (err) {
    if (String(err).includes('no such table')) return [];
    throw err;
  } finally {
    db.close();
  }
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export const PRESERVED_STATES = new Set([
  'preserved',
  'awaiting-annotation',
  'deriving',
  'sealed',
  'archived',
  'unplayable',
]);

/** Every file under a folder, relative, sorted. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  if (fs.existsSync(root)) walk('');
  return out.sort();
}

/** A TCP port free on 127.0.0.1 right now (for a daemon's API or a test server). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}
