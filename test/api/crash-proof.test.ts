// The API and the process do not fall over: a body of a type no route takes is a 415 and the
// daemon keeps serving; a port in use stops the start with a clear message and a non-zero exit;
// health probes are outside the rate limit; an unhandled rejection exits non-zero (the
// supervisor restarts us) after trying to seal the audit tail.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { EXIT_CRASH } from '../../src/crash-policy.js';
import { repoRoot } from '../helpers/fixtures.js';
import { makeHarness, type Harness } from './harness.js';
import {
  CLI,
  freePort,
  makeWorkspace,
  startDaemonProcess,
  type DaemonProcess,
  type Workspace,
} from '../helpers/workspace.js';

let ws: Workspace | undefined;
let daemon: DaemonProcess | undefined;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function untilUp(url: string, d: DaemonProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`${url}/healthz`).catch(() => null))?.ok) {
    if (d.child.exitCode !== null || Date.now() > deadline) throw new Error(`daemon did not come up:\n${d.log()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a real daemon process', () => {
  it('PATCH /annotation with Content-Type: application/xml → 415 problem+json, and the daemon is still up', async () => {
    const port = await freePort();
    ws = makeWorkspace({ api: { enabled: true, host: '127.0.0.1', port } });
    const token = ws.cli(['tokens', 'create', '--role', 'admin']).stdout.trim();
    daemon = startDaemonProcess(ws);
    const url = `http://127.0.0.1:${port}`;
    await untilUp(url, daemon);
    const auth = { authorization: `Bearer ${token}` };
    const bodies: [string, string, string][] = [
      ['PATCH', '/api/v1/evidence/ev-000000000000000000000000/annotation', 'application/xml'],
      ['PATCH', '/api/v1/evidence/ev-000000000000000000000000/annotation', 'text/plain'],
      ['PATCH', '/api/v1/evidence/ev-000000000000000000000000/annotation', 'application/octet-stream'],
      ['POST', '/api/v1/evidence/ev-000000000000000000000000/verify', 'application/xml'],
    ];
    for (const [method, path, type] of bodies) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...auth, 'content-type': type, 'x-access-reason': 'crash test' },
        body: '<annotation><caseNumber>A-1</caseNumber></annotation>',
      });
      expect(res.status, `${method} ${path} ${type}`).toBe(415);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { code: string }).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    // Still up, still answering, and JSON still works on the same route.
    await new Promise((r) => setTimeout(r, 300));
    expect(daemon.child.exitCode).toBeNull();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const json = await fetch(`${url}/api/v1/evidence/ev-000000000000000000000000/annotation`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ caseNumber: 'A-1' }),
    });
    expect(json.status).toBe(404);
  }, 90_000);

  it('a port in use: the start fails with a clear message and a non-zero exit, nothing keeps running', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      ws = makeWorkspace({ api: { enabled: true, host: '127.0.0.1', port } });
      const r = spawnSync(process.execPath, [CLI, '--config', ws.configFile, 'start'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.signal, 'the daemon kept running without its API').toBeNull();
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`api.port ${port} on 127.0.0.1 is already in use`);
      // The data-dir lock was released: the next start is not refused as a second daemon.
      expect(fs.existsSync(path.join(ws.dataDir, 'daemon.lock'))).toBe(false);
    } finally {
      blocker.close();
    }
  }, 90_000);
});

it('/healthz and /readyz are outside the rate limit; the API routes are not', async () => {
  h = await makeHarness({ api: { rateLimit: { max: 2, timeWindowMs: 60_000 } }, pipeline: false });
  for (let i = 0; i < 6; i++) {
    expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await h.app.inject({ url: '/readyz' })).statusCode).toBe(200);
  }
  const admin = { authorization: `Bearer ${h.token('admin')}` };
  const statuses = [];
  for (let i = 0; i < 4; i++)
    statuses.push((await h.app.inject({ url: '/api/v1/evidence', headers: admin })).statusCode);
  expect(statuses).toEqual([200, 200, 429, 429]);
}, 60_000);

it('an unhandled rejection in a real process: logged, last words tried, exit code 70', () => {
  // A child process, so the policy really exits: what a supervisor sees.
  const script = `
    import { pino } from 'pino';
    import { installCrashPolicy } from ${JSON.stringify(pathToFileURL(path.join(repoRoot, 'dist', 'crash-policy.js')).href)};
    const log = pino({ level: 'info' });
    installCrashPolicy(log).setLastWords(async () => log.info('tail sealed by last words'));
    setInterval(() => {}, 1000); // a live daemon: only the policy ends it
    void Promise.reject(new Error('a job error path that escaped'));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: repoRoot,
    timeout: 30_000,
  });
  expect(r.signal).toBeNull();
  expect(r.status).toBe(EXIT_CRASH);
  expect(r.stdout).toContain('a job error path that escaped');
  expect(r.stdout).toContain('unhandledRejection');
  expect(r.stdout).toContain('tail sealed by last words');
  expect(r.stdout).toContain('audit tail sealed before exiting');
});
