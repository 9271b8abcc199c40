// The daemon starts while its S3 archive is down: footage is taken into the spool, /readyz and
// `status` say degraded with the reason, and when S3 comes up everything is archived. A bucket
// that answers but has no Object Lock still refuses the start. A private MinIO (its own
// SEALDOCK_S3_DIR) is stopped and started, so no other test is disturbed.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { writeUniqueClip } from '../helpers/clips.js';
import { repoRoot } from '../helpers/fixtures.js';
import {
  makeWorkspace,
  readCatalog,
  startDaemonProcess,
  waitFor,
  type DaemonProcess,
  type Workspace,
} from '../helpers/workspace.js';

const endpoint = process.env.SEALDOCK_TEST_S3_ENDPOINT;
if (!endpoint)
  console.warn('!!!! SKIPPED test/e2e/archive-outage-start.test.ts: no S3 server (SEALDOCK_TEST_S3_ENDPOINT)');
const run = promisify(execFile);
const script = path.join(repoRoot, 'scripts', 's3-server.sh');

const workspaces: Workspace[] = [];
const daemons: DaemonProcess[] = [];
let s3Dir: string | undefined;

afterAll(async () => {
  for (const d of daemons) await d.kill9().catch(() => undefined);
  if (s3Dir) {
    await run('bash', [script, 'stop'], { env: { ...process.env, SEALDOCK_S3_DIR: s3Dir } }).catch(() => undefined);
    fs.rmSync(s3Dir, { recursive: true, force: true });
  }
  for (const w of workspaces) w.cleanup();
});

async function server(cmd: 'start' | 'stop' | 'restart'): Promise<Record<string, string>> {
  const { stdout } = await run('bash', [script, cmd], { env: { ...process.env, SEALDOCK_S3_DIR: s3Dir } });
  return Object.fromEntries([...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]));
}

function s3Workspace(env: Record<string, string>, bucket: string, api: Record<string, unknown> = { enabled: false }) {
  const ws = makeWorkspace({
    archive: {
      backend: 's3',
      s3: { endpoint: env.SEALDOCK_TEST_S3_ENDPOINT, bucket, region: 'us-east-1', requestTimeoutMs: 3000 },
    },
    pipeline: { retry: { baseDelayMs: 300, maxDelayMs: 2000 } },
    api,
  });
  workspaces.push(ws);
  return ws;
}

describe.skipIf(!endpoint)('starting during an archive outage', () => {
  it('starts degraded, takes footage into the spool, says so in /readyz and status, and drains when S3 returns', async () => {
    s3Dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-minio-start-outage-'));
    const env = await server('start');
    const bucket = env.SEALDOCK_TEST_S3_BUCKET!;
    await server('stop');

    const ws = s3Workspace(env, bucket, { enabled: true, host: '127.0.0.1', port: 0 });
    const daemon = startDaemonProcess(ws, {
      AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
    });
    daemons.push(daemon);
    const url = await waitFor('API listening', () => /"url":"(http:\/\/[^"]+)"/.exec(daemon.log())?.[1], 60_000);
    expect(daemon.log()).toMatch(/archive unreachable: degraded/);

    const admin = ws.cli(['tokens', 'create', '--role', 'admin']).stdout.trim();
    const reachable = async () =>
      /^sealdock_archive_reachable (\d)$/m.exec(
        await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })).text(),
      )?.[1];
    expect(await reachable()).toBe('0');
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { degraded: boolean; checks: { archive: { ok: boolean; detail: string } } };
    expect(body.degraded).toBe(true);
    expect(body.checks.archive.detail).toMatch(/degraded since .*footage is kept in the spool/);

    const shas = [1, 2, 3].map((n) => writeUniqueClip(path.join(ws.dock, 'DEV01', `clip-${n}.mp4`), `outage ${n}`));
    await waitFor('taken into the spool', () => readCatalog(ws).length === 3, 60_000);
    expect(readCatalog(ws).every((r) => r.state === 'received')).toBe(true);
    const status = JSON.parse(ws.cli(['status', '--json']).stdout);
    expect(status.archiveHealth).toMatchObject({ ready: false });
    expect(ws.cli(['status']).stdout).toMatch(/archive: s3 — DEGRADED since/);
    for (const n of [1, 2, 3]) expect(fs.existsSync(path.join(ws.dock, 'DEV01', `clip-${n}.mp4`))).toBe(true);

    await server('restart');
    await waitFor(
      'all preserved after S3 returned',
      () => {
        const rows = readCatalog(ws);
        return rows.length === 3 && rows.every((r) => r.state === 'awaiting-annotation') ? rows : null;
      },
      180_000,
    );
    expect(daemon.log()).toMatch(/archive reachable again: draining/);
    const s3 = new S3Client({
      endpoint: env.SEALDOCK_TEST_S3_ENDPOINT,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
    });
    for (const row of readCatalog(ws)) {
      expect(shas).toContain(row.sha256);
      const v = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `evidence/${row.id}/` }));
      const keys = (v.Versions ?? []).map((x) => x.Key);
      expect(keys.some((k) => k?.startsWith(`evidence/${row.id}/original/`))).toBe(true);
      expect(keys).toContain(`evidence/${row.id}/manifest/0001.json`);
    }
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(await reachable()).toBe('1');
    const verified = ws.cli(['verify', '--all']);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);

    // A bucket that answers but has no Object Lock is still refused at start.
    const unfit = s3Workspace(env, env.SEALDOCK_TEST_S3_NOLOCK_BUCKET!);
    const refused = startDaemonProcess(unfit, {
      AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
    });
    daemons.push(refused);
    const code = await new Promise<number | null>((resolve) => refused.child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(refused.log()).toMatch(/has no Object Lock/);
    s3.destroy();
  }, 600_000);
});
