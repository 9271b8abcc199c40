// Proves on a real server what the archive promises: a locked version cannot be deleted, its
// retention cannot be shortened, and nothing — not even a raw overwrite — replaces its bytes.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectRetentionCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { S3Archive } from '../../src/archive/s3.js';
import { isSealdockError } from '../../src/errors.js';
import { expectCode, readAll, sha256Hex, uniqueId } from './conformance.js';
import { makeS3Archive, s3Bucket, s3Endpoint, s3NoLockBucket, warnIfSkipped } from './s3-env.js';

warnIfSkipped('test/archive/s3-object-lock.test.ts');

const MiB = 1024 * 1024;

/**
 * The refusal of a WORM violation. AWS answers 403 AccessDenied; the pinned MinIO answers
 * 400 InvalidRequest "Object is WORM protected and cannot be overwritten". Either is a refusal;
 * each test also checks afterwards that the object is unchanged.
 */
async function denied(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const refusal =
      (e.$metadata?.httpStatusCode === 403 && e.name === 'AccessDenied') ||
      (e.$metadata?.httpStatusCode === 400 && e.name === 'InvalidRequest' && /WORM protected/.test(e.message ?? ''));
    expect(refusal, `not a WORM refusal: ${e.$metadata?.httpStatusCode} ${e.name}: ${e.message}`).toBe(true);
    return e.name ?? '';
  }
  throw new Error('the server allowed it');
}

describe.skipIf(!s3Endpoint)('S3 Object Lock on the real server', () => {
  let archive: S3Archive;
  let raw: S3Client;
  const id = uniqueId('LOCK');
  const retainUntil = new Date(Date.now() + 2 * 3600_000);
  const put = async (key: string, bytes: Buffer, legalHold = false) =>
    archive.put(
      key,
      { bytes },
      { sha256: sha256Hex(bytes), size: bytes.length, contentType: 'video/mp4', retainUntil, legalHold },
    );

  beforeAll(async () => {
    archive = makeS3Archive();
    await archive.checkReady();
    raw = new S3Client({
      endpoint: s3Endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
  afterAll(async () => {
    await archive?.close();
    raw?.destroy();
  });

  it('refuses to delete a locked version by version id', async () => {
    const key = `evidence/${id}/original/delete-me.mp4`;
    const stored = await put(key, randomBytes(2048));
    expect(stored.versionId).toBeTruthy();
    await denied(raw.send(new DeleteObjectCommand({ Bucket: s3Bucket, Key: key, VersionId: stored.versionId })));
    expect((await archive.head(key))?.versionId).toBe(stored.versionId);
  });

  it('refuses to shorten retention, in COMPLIANCE and via GOVERNANCE + bypass', async () => {
    const key = `evidence/${id}/original/shorten-me.mp4`;
    const stored = await put(key, randomBytes(1024));
    const earlier = new Date(retainUntil.getTime() - 3600_000);
    await denied(
      raw.send(
        new PutObjectRetentionCommand({
          Bucket: s3Bucket,
          Key: key,
          VersionId: stored.versionId,
          Retention: { Mode: 'COMPLIANCE', RetainUntilDate: earlier },
          ChecksumAlgorithm: 'SHA256',
        }),
      ),
    );
    await denied(
      raw.send(
        new PutObjectRetentionCommand({
          Bucket: s3Bucket,
          Key: key,
          VersionId: stored.versionId,
          Retention: { Mode: 'GOVERNANCE', RetainUntilDate: earlier },
          BypassGovernanceRetention: true,
          ChecksumAlgorithm: 'SHA256',
        }),
      ),
    );
    const info = await archive.head(key);
    expect(info?.lockMode).toBe('COMPLIANCE');
    expect(info?.retainUntil?.getTime()).toBe(retainUntil.getTime());
  });

  it('a delete without version id only adds a delete marker; the original still downloads', async () => {
    const key = `evidence/${id}/original/marker.mp4`;
    const bytes = randomBytes(4096);
    const stored = await put(key, bytes);
    const del = await raw.send(new DeleteObjectCommand({ Bucket: s3Bucket, Key: key }));
    expect(del.DeleteMarker).toBe(true);
    expect(await archive.head(key)).toBeNull(); // the current version is now the marker
    const got = await raw.send(new GetObjectCommand({ Bucket: s3Bucket, Key: key, VersionId: stored.versionId }));
    expect(await readAll(got.Body as Readable)).toEqual(bytes);
  });

  it('a raw second PutObject (bypassing write-once) leaves the first version intact', async () => {
    const key = `evidence/${id}/original/overwrite.mp4`;
    const first = randomBytes(3000);
    const stored = await put(key, first);
    const second = await raw.send(
      new PutObjectCommand({
        Bucket: s3Bucket,
        Key: key,
        Body: Buffer.from('forged'),
        ChecksumAlgorithm: 'SHA256',
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: retainUntil,
      }),
    );
    expect(second.VersionId).not.toBe(stored.versionId);
    const got = await raw.send(new GetObjectCommand({ Bucket: s3Bucket, Key: key, VersionId: stored.versionId }));
    expect(await readAll(got.Body as Readable)).toEqual(first);
    const versions = await raw.send(new ListObjectVersionsCommand({ Bucket: s3Bucket, Prefix: key }));
    expect(versions.Versions?.map((v) => v.VersionId).sort()).toEqual([stored.versionId, second.VersionId].sort());
    // Our write-once check now sees foreign content under the key and refuses to add more.
    await expectCode(put(key, first), 'ARCHIVE_CONFLICT');
  });

  it('the server enforces If-None-Match, which put relies on against a racing writer', async () => {
    const key = `evidence/${id}/original/race.mp4`;
    await put(key, Buffer.from('first'));
    const err = await raw
      .send(new PutObjectCommand({ Bucket: s3Bucket, Key: key, Body: Buffer.from('second'), IfNoneMatch: '*' }))
      .then(
        () => undefined,
        (e: { $metadata?: { httpStatusCode?: number } }) => e,
      );
    expect(err?.$metadata?.httpStatusCode).toBe(412);
  });

  it('checkReady refuses a bucket without Object Lock and says what to fix', async () => {
    const noLock = makeS3Archive({ bucket: s3NoLockBucket });
    try {
      await noLock.checkReady();
      throw new Error('checkReady accepted a bucket without Object Lock');
    } catch (err) {
      expect(isSealdockError(err, 'ARCHIVE_NOT_READY'), String(err)).toBe(true);
      const msg = (err as Error).message;
      expect(msg).toContain(s3NoLockBucket);
      expect(msg).toMatch(/no Object Lock/);
      expect(msg).toMatch(/--object-lock-enabled-for-bucket/);
    } finally {
      await noLock.close();
    }
    const missing = makeS3Archive({ bucket: `sealdock-missing-${Date.now()}` });
    await expectCode(missing.checkReady(), 'ARCHIVE_NOT_READY');
    await missing.close();
  });

  it('verifies multipart by composite checksum when it uploaded, by read-back otherwise', async () => {
    const key = `evidence/${id}/original/composite.mp4`;
    const bytes = randomBytes(20 * MiB);
    const stored = await put(key, bytes);
    expect(stored.backendChecksum).toMatch(/-2$/);
    const expected = { sha256: sha256Hex(bytes), size: bytes.length };
    expect(await archive.verify(key, expected)).toMatchObject({ ok: true, method: 'checksum' });
    const fresh = makeS3Archive();
    try {
      expect(await fresh.verify(key, expected)).toMatchObject({
        ok: true,
        method: 'rehash',
        actualSha256: expected.sha256,
      });
      // an expected retain-until later than the stored one is a failure, not a silent pass
      const later = await fresh.verify(key, { ...expected, retainUntil: new Date(retainUntil.getTime() + 1000) });
      expect(later.ok).toBe(false);
      expect(later.problem).toMatch(/retain-until/);
      // a re-put proves the existing object by recomputing its composite; verify then needs no read-back
      expect(
        (await fresh.put(key, { bytes }, { ...expected, contentType: 'video/mp4', retainUntil, legalHold: false }))
          .alreadyPresent,
      ).toBe(true);
      expect(await fresh.verify(key, expected)).toMatchObject({ ok: true, method: 'checksum' });
    } finally {
      await fresh.close();
    }
  });

  it('a multipart object whose metadata claims our SHA-256 but holds other bytes is a conflict', async () => {
    const key = `evidence/${id}/original/forged-multipart.mp4`;
    const ours = randomBytes(20 * MiB);
    const theirs = Buffer.from(ours);
    theirs[17 * MiB] = (theirs[17 * MiB] ?? 0) ^ 0xff;
    await new Upload({
      client: raw,
      params: {
        Bucket: s3Bucket,
        Key: key,
        Body: theirs,
        ChecksumAlgorithm: 'SHA256',
        ObjectLockMode: 'COMPLIANCE',
        ObjectLockRetainUntilDate: retainUntil,
        Metadata: { sha256: sha256Hex(ours), 'part-size': String(16 * MiB) },
      },
      partSize: 16 * MiB,
    }).done();
    await expectCode(put(key, ours), 'ARCHIVE_CONFLICT');
  });

  it('bytes that differ from the intake hash are never completed or stored (multipart and single PUT)', async () => {
    // The spool file changed after the intake hashed it (same size): the upload streams other bytes.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-s3-changed-'));
    try {
      for (const [name, size] of [
        ['multipart', 20 * MiB],
        ['single', 64 * 1024],
      ] as const) {
        const key = `evidence/${id}/original/changed-after-hashing-${name}.mp4`;
        const file = path.join(dir, `${name}.bin`);
        const bytes = randomBytes(size);
        const claimed = sha256Hex(bytes);
        bytes[size - 1] = bytes[size - 1]! ^ 0xff;
        fs.writeFileSync(file, bytes);
        const put = archive.put(
          key,
          { path: file },
          { sha256: claimed, size, contentType: 'video/mp4', retainUntil, legalHold: false },
        );
        await expectCode(put, 'VERIFY_FAILED');
        expect(await archive.head(key)).toBeNull();
        const uploads = await raw.send(new ListMultipartUploadsCommand({ Bucket: s3Bucket, Prefix: key }));
        expect(uploads.Uploads ?? []).toEqual([]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a legal hold set at put time is on the object', async () => {
    const key = `evidence/${id}/original/held.mp4`;
    await put(key, Buffer.from('held'), true);
    expect((await archive.head(key))?.legalHold).toBe(true);
    await archive.setLegalHold(key, false);
  });
});
