// Adoption: what the archive already holds is adopted, never a permanent conflict. A catalog
// deleted under a running installation, and two sites (two data dirs, two daemons) on one S3
// bucket docking the same file at the same moment. Real daemons, real footage, real MinIO.
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { uniqueClipBytes } from '../helpers/clips.js';
import { makeWorkspace, readCatalog, startDaemonProcess, waitFor, type Workspace } from '../helpers/workspace.js';

const endpoint = process.env.SEALDOCK_TEST_S3_ENDPOINT;
if (!endpoint) console.warn('!!!! SKIPPED the two-site test in test/e2e/adopt.test.ts: no S3 server');

const COMPLETE = { caseNumber: 'A/2026/17', collector: '张三', purpose: '证明现场情况' };
const audit = (w: Workspace, action: string) =>
  JSON.parse(w.cli(['audit', 'list', '--json', '--action', action]).stdout) as { details: Record<string, unknown> }[];

function dock(w: Workspace, name: string, bytes: Buffer): string {
  const file = path.join(w.dock, 'DEV01', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.json`, JSON.stringify(COMPLETE));
  fs.writeFileSync(file, bytes);
  return file;
}

describe('adopting what the archive already holds', () => {
  it('a catalog lost and the file docked again: one adopted item, released, verified', async () => {
    const ws = makeWorkspace();
    let daemon = startDaemonProcess(ws);
    const bytes = uniqueClipBytes('lost catalog');
    const file = dock(ws, 'DEV01_20261120081500_0001.MP4', bytes);
    const first = await waitFor('archived', () => readCatalog(ws).find((r) => r.state === 'archived'), 90_000);
    await waitFor('released', () => !fs.existsSync(file));
    await daemon.stop();

    // The catalog is gone (the seal, like a real installation's, is configured apart from it).
    for (const f of fs.readdirSync(ws.dataDir)) if (f.startsWith('catalog.sqlite')) fs.rmSync(path.join(ws.dataDir, f));
    const again = dock(ws, 'DEV01_20261120081500_0001.MP4', bytes);
    daemon = startDaemonProcess(ws);
    const adopted = await waitFor(
      'adopted',
      () => readCatalog(ws).find((r) => r.id === first.id && r.state === 'archived'),
      90_000,
    );
    expect(readCatalog(ws)).toHaveLength(1);
    expect(adopted.sha256).toBe(first.sha256);
    await waitFor('re-docked file released', () => !fs.existsSync(again));
    const rows = audit(ws, 'adopted');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.details).toMatchObject({ state: 'archived', manifestRevision: 2 });
    expect(JSON.stringify(audit(ws, 'failed'))).not.toMatch(/already holds different content/);
    // nothing was written twice: still exactly the two revisions of the first life
    expect(fs.readdirSync(path.join(ws.archive, 'evidence', first.id, 'manifest')).sort()).toEqual([
      '0001.json',
      '0001.json.p7s',
      '0002.json',
      '0002.json.p7s',
    ]);
    const v = ws.cli(['verify', first.id]);
    expect(v.status, v.stdout + v.stderr).toBe(0);
  }, 240_000);

  it.skipIf(!endpoint)(
    'two sites on one bucket dock the same file at once: one item',
    async () => {
      const bucket = `sealdock-adopt-${Date.now().toString(36)}`;
      const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
      const site = () =>
        makeWorkspace({
          archive: { backend: 's3', s3: { endpoint, bucket, region: 'us-east-1', forcePathStyle: true } },
        });
      const a = site();
      const b = site();
      // One agency, one seal: site B trusts (here: holds) the same seal as site A.
      expect(a.cli(['seal', 'init']).status).toBe(0);
      fs.cpSync(path.join(a.dataDir, 'dev-seal'), path.join(b.dataDir, 'dev-seal'), { recursive: true });
      startDaemonProcess(a);
      startDaemonProcess(b);
      const bytes = uniqueClipBytes('two sites');
      const files = [dock(a, 'DEV01_20261120081500_0001.MP4', bytes), dock(b, 'DEV01_20261120081500_0001.MP4', bytes)];

      const settled = (w: Workspace) => {
        const rows = readCatalog(w);
        return rows.length === 1 && rows[0]!.state === 'archived' ? rows[0] : null;
      };
      const [ra, rb] = await Promise.all([
        waitFor('site A archived', () => settled(a), 180_000),
        waitFor('site B archived', () => settled(b), 180_000),
      ]);
      expect(ra.id).toBe(rb.id);
      await waitFor('both dock files released', () => files.every((f) => !fs.existsSync(f)), 60_000);
      expect(audit(a, 'adopted').length + audit(b, 'adopted').length).toBeGreaterThanOrEqual(1);

      // One item in the bucket: one version of each object, every revision written once.
      const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `evidence/${ra.id}/` }));
      const keys = (versions.Versions ?? []).map((v) => v.Key!);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.filter((k) => k.includes('/original/'))).toHaveLength(1);
      expect(keys).toContain(`evidence/${ra.id}/manifest/0001.json`);
      for (const w of [a, b]) {
        const v = w.cli(['verify', ra.id]);
        expect(v.status, v.stdout + v.stderr).toBe(0);
      }
      s3.destroy();
    },
    300_000,
  );
});
