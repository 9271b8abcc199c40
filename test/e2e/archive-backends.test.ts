// The daemon on both archive backends: S3 with Object Lock (a fresh lock-enabled bucket of the
// real MinIO server) and local. Retention, legal hold, and rebuilding a lost catalog from the
// archive alone (`reindex`), which must give back the same listing.
import { CreateBucketCommand, GetObjectLegalHoldCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
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

const endpoint = process.env.SEALDOCK_TEST_S3_ENDPOINT;
if (!endpoint)
  console.warn('!!!! SKIPPED the S3 half of test/e2e/archive-backends.test.ts: no SEALDOCK_TEST_S3_ENDPOINT');

let ws: Workspace | undefined;
let daemon: DaemonProcess | undefined;
const SETTLED = new Set(['archived', 'unplayable']);
const listJson = (w: Workspace) =>
  JSON.parse(w.cli(['list', '--json', '--limit', '1000']).stdout) as Record<string, unknown>[];

function dropFootage(w: Workspace): void {
  const dir = path.join(w.dock, 'DEV01');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'DEV01_20261120081500_0001.MP4.json'),
    JSON.stringify({
      caseNumber: 'A-2026-0042',
      collector: { name: '张三', id: '031245' },
      purpose: '证明当事人阻碍执法',
    }),
  );
  fs.copyFileSync(fixture('h264-aac.mp4'), path.join(dir, 'DEV01_20261120081500_0001.MP4'));
  fs.copyFileSync(fixture('truncated.mp4'), path.join(dir, 'broken.MP4'));
}

async function runUntilSettled(w: Workspace): Promise<void> {
  daemon = startDaemonProcess(w);
  await waitFor(
    'both items settled',
    () => {
      const rows = readCatalog(w);
      return rows.length === 2 && rows.every((r) => SETTLED.has(r.state));
    },
    120_000,
  );
  await daemon.stop();
  daemon = undefined;
}

function loseCatalog(w: Workspace): void {
  for (const suffix of ['', '-wal', '-shm'])
    fs.rmSync(path.join(w.dataDir, `catalog.sqlite${suffix}`), { force: true });
}

async function reindexGivesBackTheSameListing(w: Workspace): Promise<void> {
  const before = listJson(w);
  expect(before).toHaveLength(2);
  // The daemon sealed its audit log on the way out: the archive holds the whole history.
  const auditBefore = JSON.parse(w.cli(['audit', 'verify', '--json']).stdout);
  expect(auditBefore).toMatchObject({ ok: true, unsealed: { rows: 0 } });
  expect(auditBefore.segments.segments).toBeGreaterThan(0);
  loseCatalog(w);
  const r = w.cli(['reindex', '--json']);
  expect(r.status, r.stdout + r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({
    scanned: 2,
    failed: [],
    audit: { segmentsRestored: auditBefore.segments.segments, rowsRestored: auditBefore.rows, problems: [] },
  });
  expect(listJson(w)).toEqual(before);
  const v = w.cli(['verify', '--all']);
  expect(v.status, v.stdout + v.stderr).toBe(0);
  // The sequence and chain continue across reindex: earlier segments still listed and verified,
  // the reindex's own rows numbered after them.
  const auditAfter = JSON.parse(w.cli(['audit', 'verify', '--json']).stdout);
  expect(auditAfter.ok, JSON.stringify(auditAfter.problems)).toBe(true);
  expect(auditAfter.segments.segments).toBe(auditBefore.segments.segments);
  expect(auditAfter.rows).toBeGreaterThan(auditBefore.rows);
  const seqs = (JSON.parse(w.cli(['audit', 'list', '--json', '--limit', '10000']).stdout) as { seq: number }[])
    .map((r) => r.seq)
    .sort((x, y) => x - y);
  expect(seqs).toEqual(Array.from({ length: auditAfter.rows }, (_, i) => i + 1));
}

describe('archive backends under the daemon', () => {
  it('local: reindex rebuilds a deleted catalog that lists exactly as before', async () => {
    ws = makeWorkspace();
    dropFootage(ws);
    await runUntilSettled(ws);
    await reindexGivesBackTheSameListing(ws);
  }, 240_000);

  it.skipIf(!endpoint)(
    's3: COMPLIANCE lock, retention from recordedAt, legal hold by purpose, hold/release, and reindex from the bucket alone',
    async () => {
      const bucket = `sealdock-e2e-${Date.now().toString(36)}`;
      const s3 = new S3Client({
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
      ws = makeWorkspace({
        archive: {
          backend: 's3',
          s3: { endpoint, bucket, region: 'us-east-1', forcePathStyle: true },
          retention: { days: 200, legalHold: { purposes: ['阻碍执法'] } },
        },
      });
      dropFootage(ws);
      await runUntilSettled(ws);

      const items = listJson(ws) as { id: string; state: string }[];
      const clip = items.find((i) => i.state === 'archived')!;
      const broken = items.find((i) => i.state === 'unplayable')!;
      const detail = JSON.parse(ws.cli(['show', clip.id, '--json']).stdout);
      const keys: string[] = detail.archive.map((o: { key: string }) => o.key);
      expect(keys).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/original\/DEV01_20261120081500_0001-[0-9a-f]{8}\.MP4$/),
          expect.stringMatching(/derivative\/0002\.mp4$/),
          expect.stringMatching(/manifest\/0002\.json\.p7s$/),
        ]),
      );
      for (const o of detail.archive) {
        expect(o.versionId, `${o.key} version id recorded`).toBeTruthy();
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: o.key }));
        expect(head.ObjectLockMode).toBe('COMPLIANCE');
        // recordedAt 2026-11-20T08:15+08:00 + 200 days, and never less than 200 days from now
        expect(head.ObjectLockRetainUntilDate!.getTime()).toBeGreaterThanOrEqual(Date.now() + 199 * 86_400_000);
        expect(head.ObjectLockLegalHoldStatus, `${o.key}: purpose 阻碍执法 → legal hold`).toBe('ON');
      }

      const brokenKeys: string[] = JSON.parse(ws.cli(['show', broken.id, '--json']).stdout).archive.map(
        (o: { key: string }) => o.key,
      );
      // An object that never had a hold answers NoSuchObjectLockConfiguration rather than OFF.
      const legalHold = async (key: string) =>
        s3
          .send(new GetObjectLegalHoldCommand({ Bucket: bucket, Key: key }))
          .then((r) => r.LegalHold?.Status ?? 'OFF')
          .catch((err: { name?: string }) =>
            err.name === 'NoSuchObjectLockConfiguration' ? 'OFF' : Promise.reject(err),
          );
      expect(await legalHold(brokenKeys[0]!)).not.toBe('ON');
      expect(ws.cli(['hold', broken.id, '--reason', '法院调取']).status).toBe(0);
      for (const k of brokenKeys) expect(await legalHold(k)).toBe('ON');
      expect(ws.cli(['release', broken.id, '--reason', '结案']).status).toBe(0);
      for (const k of brokenKeys) expect(await legalHold(k)).toBe('OFF');
      const shorter = ws.cli(['retain', broken.id, '--until', '2026-12-01T00:00:00+08:00']);
      expect(shorter.status).toBe(1);
      expect(shorter.stderr).toMatch(/never shortened/);
      const audit = JSON.parse(ws.cli(['audit', 'list', '--json', '--evidence', broken.id]).stdout).map(
        (r: { action: string }) => r.action,
      );
      expect(audit).toEqual(expect.arrayContaining(['legal-hold-set', 'legal-hold-released']));

      await reindexGivesBackTheSameListing(ws);
      s3.destroy();
    },
    300_000,
  );
});
