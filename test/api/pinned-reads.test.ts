// Reads are pinned and checked. Someone with write access to the store (the daemon's own S3
// credentials may PutObject; root may write the local archive) replaces archived bytes, or hides
// them behind a delete marker; then an auditor reads through the API, exports and verifies.
// What must hold: the auditor gets the original bytes, or a refused read with an alarm — never the
// forged bytes, and never a complete response of them; `verify` names the extra versions and the
// delete markers. The forging is done with a plain S3 client (@aws-sdk/client-s3) and plain fs.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveKeys } from '../../src/archive/keys.js';
import type { EvidenceRecord } from '../../src/catalog/evidence-repo.js';
import { readFirstVersion } from '../../src/archive/pinned.js';
import { CLI } from '../helpers/workspace.js';
import { makeS3Archive, s3Bucket, s3Endpoint, warnIfSkipped } from '../archive/s3-env.js';
import { COMPLETE_SIDECAR, makeHarness, uniqueClip, type Harness } from './harness.js';

warnIfSkipped('test/api/pinned-reads.test.ts');

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** the body ended before Content-Length (the socket was destroyed mid-body) */
  cutOff: boolean;
}

function get(h: Harness, target: string, headers: Record<string, string>): Promise<RawResponse> {
  const { port } = h.app.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: target, headers }, (res) => {
      const chunks: Buffer[] = [];
      const done = (cutOff: boolean) =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), cutOff });
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(!res.complete));
      res.on('aborted', () => done(true));
      res.on('error', () => done(true));
    });
    req.on('error', reject);
    req.end();
  });
}

function auditRows(h: Harness, action: string, evidenceId: string) {
  return h.repo.audit.list({ action, evidenceId, limit: 1000 });
}

async function preserveAndListen(h: Harness, tag: string): Promise<EvidenceRecord> {
  const item = await h.preserve(`${tag}.mp4`, uniqueClip(tag), {
    sidecar: { ...COMPLETE_SIDECAR, caseNumber: `PIN-${tag}` },
    states: ['archived'],
  });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  return item;
}

describe('local backend: bytes changed under the archive', () => {
  let h: Harness;
  let item: EvidenceRecord;
  let auth: Record<string, string>;
  let admin: Record<string, string>;
  let original: Buffer;
  const file = (key: string) => path.join(h.dir, 'archive', ...key.split('/'));
  const key = (kind: string) => h.repo.archiveObjects.ofItem(item.id).find((o) => o.kind === kind)!.key;

  /** Replaces an archived file (new inode, same size) the way someone with write access could. */
  function forge(k: string): Buffer {
    const before = fs.readFileSync(file(k));
    const forged = Buffer.from(before);
    forged.fill(0x41, Math.floor(forged.length / 2), Math.floor(forged.length / 2) + 64);
    const tmp = `${file(k)}.forged`;
    fs.writeFileSync(tmp, forged);
    fs.renameSync(tmp, file(k));
    return forged;
  }

  beforeAll(async () => {
    h = await makeHarness();
    item = await preserveAndListen(h, 'local');
    auth = { authorization: `Bearer ${h.token('auditor')}`, 'x-access-reason': 'pinned read test' };
    admin = { authorization: `Bearer ${h.token('admin')}` };
    original = fs.readFileSync(file(key('original')));
  }, 120_000);
  afterAll(async () => h?.close());

  it('untouched: full and ranged reads are the archived bytes, and recorded as reads', async () => {
    const full = await get(h, `/api/v1/evidence/${item.id}/original`, auth);
    expect(full.status).toBe(200);
    expect(full.cutOff).toBe(false);
    expect(sha(full.body)).toBe(item.sha256);
    const part = await get(h, `/api/v1/evidence/${item.id}/original`, { ...auth, range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(part.body).toEqual(original.subarray(100, 200));
    expect(auditRows(h, 'integrity-alarm', item.id)).toHaveLength(0);
  });

  it('a forged original: a full read is cut off mid-body (never complete), a Range read is refused, both raise alarms', async () => {
    const forged = forge(key('original'));
    expect(forged.length).toBe(original.length);
    const before = h.repo.audit.list({ limit: 10_000 }).at(-1)!.seq;

    const full = await get(h, `/api/v1/evidence/${item.id}/original`, auth);
    expect(full.status).toBe(200); // headers had left: 3 MB stream in 1 MiB chunks
    expect(full.cutOff, 'the client must not be able to take it for complete').toBe(true);
    expect(full.body.length).toBeLessThan(Number(full.headers['content-length']));
    expect(full.body.equals(forged)).toBe(false);

    const part = await get(h, `/api/v1/evidence/${item.id}/original`, { ...auth, range: 'bytes=0-99' });
    expect(part.status).toBe(502);
    expect(part.headers['content-type']).toMatch(/problem\+json/);
    expect(JSON.parse(part.body.toString()).code).toBe('INTEGRITY_ALARM');

    const alarms = auditRows(h, 'integrity-alarm', item.id).filter((r) => r.seq > before);
    expect(alarms.map((a) => [a.details.reader, a.details.key, a.details.midStream])).toEqual([
      ['api', key('original'), true],
      ['api', key('original'), false],
    ]);
    // The refused Range read is recorded as the failed read it was, not as a normal one.
    const access = auditRows(h, 'access', item.id).filter((r) => r.seq > before);
    expect(access.map((a) => a.details.status)).toEqual([200, 502]);
  });

  it('a forged manifest (one chunk): refused with 502 before any byte, no 200 access row', async () => {
    const before = h.repo.audit.list({ limit: 10_000 }).at(-1)!.seq;
    forge(key('manifest'));
    const res = await get(h, `/api/v1/evidence/${item.id}/manifest?revision=1`, auth);
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body.toString()).code).toBe('INTEGRITY_ALARM');
    const access = auditRows(h, 'access', item.id).filter((r) => r.seq > before);
    expect(access.map((a) => a.details.status)).toEqual([502]);
    expect(auditRows(h, 'integrity-alarm', item.id).filter((r) => r.seq > before)).toHaveLength(1);
  });

  it('verify fails, export refuses the forged files, /metrics counts and `status` shows the alarms', async () => {
    const v = await h.app.inject({ method: 'POST', url: `/api/v1/evidence/${item.id}/verify`, headers: auth });
    const body = v.json<{ ok: boolean; intact: boolean; objects: { key: string; ok: boolean }[] }>();
    expect(body.ok).toBe(false);
    expect(body.intact).toBe(false);
    expect(body.objects.find((o) => o.key === key('original'))?.ok).toBe(false);

    const out = path.join(h.dir, 'package');
    const config = path.join(h.dir, 'sealdock.yaml');
    const exp = spawnSync(
      process.execPath,
      [CLI, '--config', config, 'export', '--case', 'PIN-local', '--out', out, '--reason', 'court'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(exp.status, exp.stderr).toBe(3);
    expect(fs.existsSync(path.join(out, ...key('original').split('/')))).toBe(false);
    expect(exp.stdout).toContain('the read was refused');
    expect(auditRows(h, 'integrity-alarm', item.id).some((r) => r.details.reader === 'export')).toBe(true);

    const metrics = await h.app.inject({ url: '/metrics', headers: admin });
    expect(metrics.body).toMatch(/sealdock_alarms_total\{kind="integrity-alarm"\} [1-9]/);

    const status = spawnSync(process.execPath, [CLI, '--config', config, 'status', '--json'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    const alarms = (JSON.parse(status.stdout) as { alarms: { total: number; latest: { action: string }[] } }).alarms;
    expect(alarms.total).toBeGreaterThanOrEqual(4);
    expect(alarms.latest[0]!.action).toBe('integrity-alarm');
    const text = spawnSync(process.execPath, [CLI, '--config', config, 'status'], { encoding: 'utf8' }).stdout;
    expect(text).toContain('ALARMS:');
  }, 120_000);
});

describe.skipIf(!s3Endpoint)('S3: an overwrite and a delete marker with a plain S3 client', () => {
  let h: Harness;
  let item: EvidenceRecord;
  let auth: Record<string, string>;
  let raw: S3Client;
  let original: Buffer;
  /** the newest archived object of that kind (what the API serves by default) */
  const obj = (kind: string) =>
    h.repo.archiveObjects
      .ofItem(item.id)
      .filter((o) => o.kind === kind)
      .at(-1)!;

  beforeAll(async () => {
    h = await makeHarness({ archive: () => makeS3Archive() });
    item = await preserveAndListen(h, `s3-${Date.now()}`);
    auth = { authorization: `Bearer ${h.token('auditor')}`, 'x-access-reason': 'pinned read test' };
    raw = new S3Client({
      endpoint: s3Endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const got = await raw.send(
      new GetObjectCommand({ Bucket: s3Bucket, Key: obj('original').key, VersionId: obj('original').versionId! }),
    );
    original = Buffer.concat(await (got.Body as Readable).toArray());
  }, 120_000);
  afterAll(async () => {
    raw?.destroy();
    await h?.close();
  });

  it('the catalog recorded the version of every object it archived', () => {
    for (const o of h.repo.archiveObjects.ofItem(item.id)) expect(o.versionId, o.key).toBeTruthy();
    expect(sha(original)).toBe(item.sha256);
  });

  it('after a forged PutObject and a delete marker, the API still serves the original bytes; verify reports both', async () => {
    const forged = Buffer.from(original);
    forged.fill(0x41, 1000, 2000);
    const overwrite = await raw.send(
      new PutObjectCommand({
        Bucket: s3Bucket,
        Key: obj('original').key,
        Body: forged,
        ChecksumAlgorithm: 'SHA256',
        // the forger copies our metadata too
        Metadata: { sha256: item.sha256 },
      }),
    );
    const marker = await raw.send(new DeleteObjectCommand({ Bucket: s3Bucket, Key: obj('manifest').key }));
    expect(marker.DeleteMarker).toBe(true);
    // What a reader of "latest" would now get: the forged bytes, and a 404 for the manifest.
    const latest = await raw.send(new GetObjectCommand({ Bucket: s3Bucket, Key: obj('original').key }));
    expect(sha(Buffer.concat(await (latest.Body as Readable).toArray()))).toBe(sha(forged));

    const full = await get(h, `/api/v1/evidence/${item.id}/original`, auth);
    expect(full.status).toBe(200);
    expect(full.cutOff).toBe(false);
    expect(sha(full.body)).toBe(item.sha256);
    const part = await get(h, `/api/v1/evidence/${item.id}/original`, { ...auth, range: 'bytes=1000-1999' });
    expect(part.status).toBe(206);
    expect(part.body).toEqual(original.subarray(1000, 2000));
    const manifest = await get(h, `/api/v1/evidence/${item.id}/manifest`, auth);
    expect(manifest.status).toBe(200);
    expect(sha(manifest.body)).toBe(obj('manifest').sha256);
    expect(auditRows(h, 'integrity-alarm', item.id)).toHaveLength(0);

    const v = await h.app.inject({ method: 'POST', url: `/api/v1/evidence/${item.id}/verify`, headers: auth });
    const body = v.json<{
      ok: boolean;
      intact: boolean;
      tampering: { key: string; kind: string; versionId: string; pinnedVersionId: string }[];
    }>();
    expect(body.intact).toBe(true);
    expect(body.ok).toBe(false);
    expect(body.tampering).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          key: obj('original').key,
          kind: 'extra-version',
          versionId: overwrite.VersionId,
          pinnedVersionId: obj('original').versionId,
        }),
        expect.objectContaining({ key: obj('manifest').key, kind: 'delete-marker', versionId: marker.VersionId }),
      ]),
    );
    expect(body.tampering).toHaveLength(2);
    const tamper = auditRows(h, 'tamper-detected', item.id);
    expect(tamper).toHaveLength(1);
    expect(JSON.stringify(tamper[0]!.details)).toContain(overwrite.VersionId!);
  });

  it('audit segments are read at the first version written: an overwrite and a delete marker change nothing', async () => {
    // A unique segment name: segment names restart with every catalog, and this bucket is shared.
    const key = archiveKeys.auditSegment(`pinned-${Date.now()}-${item.id}`);
    const body = Buffer.from('{"seq":1}\n');
    await h.archive.put(
      key,
      { bytes: body },
      {
        sha256: sha(body),
        size: body.length,
        contentType: 'application/x-ndjson',
        retainUntil: new Date(Date.now() + 3_600_000),
        legalHold: false,
      },
    );
    await raw.send(
      new PutObjectCommand({ Bucket: s3Bucket, Key: key, Body: Buffer.from('{}\n'), ChecksumAlgorithm: 'SHA256' }),
    );
    await raw.send(new DeleteObjectCommand({ Bucket: s3Bucket, Key: key }));
    // What audit verify and reindex's audit restore read (archive/pinned.ts readFirstVersion).
    expect(await readFirstVersion(h.archive, key)).toEqual(body);
  });

  it('a catalog pointed at the forged version: the read is refused with an alarm, never the forged bytes', async () => {
    const versions = await raw.send(new ListObjectVersionsCommand({ Bucket: s3Bucket, Prefix: obj('original').key }));
    const forgedVersion = versions.Versions!.find((v) => v.VersionId !== obj('original').versionId)!.VersionId!;
    const pinned = obj('original').versionId!;
    h.db.prepare('UPDATE archive_objects SET version_id = ? WHERE key = ?').run(forgedVersion, obj('original').key);
    try {
      for (const range of [undefined, 'bytes=0-99']) {
        const res = await get(h, `/api/v1/evidence/${item.id}/original`, { ...auth, ...(range ? { range } : {}) });
        expect(res.status, range ?? 'full').toBe(502);
        expect(JSON.parse(res.body.toString()).code).toBe('INTEGRITY_ALARM');
      }
      const alarms = auditRows(h, 'integrity-alarm', item.id);
      expect(alarms).toHaveLength(2);
      expect(alarms[0]!.details).toMatchObject({ reader: 'api', versionId: forgedVersion, midStream: false });
    } finally {
      h.db.prepare('UPDATE archive_objects SET version_id = ? WHERE key = ?').run(pinned, obj('original').key);
    }
  });
});
