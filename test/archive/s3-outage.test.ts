// S3 dies in the middle of a multipart upload: put must fail as ARCHIVE_UNAVAILABLE (so the pipeline
// retries), and the retry after the server is back must archive exactly once, verified, with no
// orphaned multipart upload left behind.
//
// Runs its OWN MinIO (separate dir and port, same scripts/s3-server.sh) so killing it cannot break
// S3 tests running in parallel in other files. Downtime: SEALDOCK_TEST_S3_OUTAGE_MS (default 5000;
// the field report describes 30 s — the length does not change the mechanics).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ListMultipartUploadsCommand, ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Archive } from '../../src/archive/s3.js';
import { isSealdockError } from '../../src/errors.js';
import { repoRoot } from '../helpers/fixtures.js';
import { sha256Hex, uniqueId } from './conformance.js';
import { s3Endpoint, warnIfSkipped } from './s3-env.js';

warnIfSkipped('test/archive/s3-outage.test.ts');

const run = promisify(execFile);
const MiB = 1024 * 1024;
const downtimeMs = Number(process.env.SEALDOCK_TEST_S3_OUTAGE_MS ?? 5000);
const script = path.join(repoRoot, 'scripts', 's3-server.sh');

function parseExports(out: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) env[m[1] as string] = m[2] as string;
  return env;
}

describe.skipIf(!s3Endpoint)('S3 outage in the middle of a multipart upload', () => {
  let dir: string;
  let env: Record<string, string>;
  const server = async (cmd: 'start' | 'restart' | 'stop') => {
    const { stdout } = await run('bash', [script, cmd], { env: { ...process.env, SEALDOCK_S3_DIR: dir } });
    return parseExports(stdout);
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sealdock-minio-outage-'));
    env = await server('start');
  });
  afterAll(async () => {
    if (dir) {
      await server('stop').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails as ARCHIVE_UNAVAILABLE, then the retry archives once, verified, no orphan uploads', async () => {
    const make = () =>
      new S3Archive({
        endpoint: env.SEALDOCK_TEST_S3_ENDPOINT,
        region: 'us-east-1',
        bucket: env.SEALDOCK_TEST_S3_BUCKET ?? 'sealdock-test',
        forcePathStyle: true,
        partSizeMiB: 5, // more parts: a wider window to kill the server in
        queueSize: 1,
        verify: 'checksum',
        requestTimeoutMs: 5000,
        maxAttempts: 2,
      });
    const bytes = randomBytes(64 * MiB);
    const file = path.join(dir, 'big.mp4');
    await writeFile(file, bytes);
    const key = `evidence/${uniqueId('OUTAGE')}/original/big.mp4`;
    const opts = {
      sha256: sha256Hex(bytes),
      size: bytes.length,
      contentType: 'video/mp4',
      retainUntil: new Date(Date.now() + 3600_000),
      legalHold: false,
    };
    const uploadsFor = async (a: S3Archive) =>
      ((await a.client.send(new ListMultipartUploadsCommand({ Bucket: a.bucket, Prefix: key }))).Uploads ?? []).filter(
        (u) => u.Key === key,
      );

    const first = make();
    const pending = first.put(key, { path: file }, opts).then(
      () => null,
      (err: unknown) => err,
    );
    // Kill as soon as the multipart upload exists on the server (parts are then in flight).
    const deadline = Date.now() + 20_000;
    while ((await uploadsFor(first)).length === 0) {
      if (Date.now() > deadline) throw new Error('the multipart upload never started');
      await new Promise((r) => setTimeout(r, 10));
    }
    process.kill(Number(env.SEALDOCK_TEST_S3_PID), 'SIGKILL');
    const err = await pending;
    expect(isSealdockError(err, 'ARCHIVE_UNAVAILABLE'), `got ${String(err)}`).toBe(true);
    await first.close();

    await new Promise((r) => setTimeout(r, downtimeMs));
    env = { ...env, ...(await server('restart')) };

    const second = make();
    try {
      // The dead server could not be told to abort: the upload is still there after restart.
      expect((await uploadsFor(second)).length).toBeGreaterThanOrEqual(1);
      const stored = await second.put(key, { path: file }, opts);
      expect(stored.alreadyPresent).toBe(false);
      expect(stored.backendChecksum).toMatch(/-13$/);
      expect(await second.verify(key, opts)).toMatchObject({ ok: true, method: 'checksum' });
      expect(await uploadsFor(second)).toEqual([]);
      const versions = await second.client.send(new ListObjectVersionsCommand({ Bucket: second.bucket, Prefix: key }));
      expect(versions.Versions?.filter((v) => v.Key === key)).toHaveLength(1);
      // and a third attempt (say, after a crash before the catalog noted success) is a no-op
      expect((await second.put(key, { path: file }, opts)).alreadyPresent).toBe(true);
    } finally {
      await second.close();
    }
  }, 120_000);
});
