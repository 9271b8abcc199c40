// The real S3 server from scripts/s3-server.sh; tests that need it skip loudly when it is absent.
import { S3Archive } from '../../src/archive/s3.js';
import type { S3ArchiveConfig } from '../../src/archive/s3.js';

export const s3Endpoint = process.env.SEALDOCK_TEST_S3_ENDPOINT;
export const s3Bucket = process.env.SEALDOCK_TEST_S3_BUCKET ?? 'sealdock-test';
export const s3NoLockBucket = process.env.SEALDOCK_TEST_S3_NOLOCK_BUCKET ?? 'sealdock-nolock';

export function warnIfSkipped(file: string): void {
  if (!s3Endpoint) {
    console.warn(
      `!!!! SKIPPED ${file}: SEALDOCK_TEST_S3_ENDPOINT is not set. Run: eval "$(bash scripts/s3-server.sh start)"`,
    );
  }
}

export function makeS3Archive(over: Partial<S3ArchiveConfig> = {}): S3Archive {
  return new S3Archive({
    endpoint: s3Endpoint,
    region: process.env.AWS_REGION ?? 'us-east-1',
    bucket: s3Bucket,
    forcePathStyle: true,
    partSizeMiB: 16,
    queueSize: 2,
    verify: 'checksum',
    requestTimeoutMs: 30_000,
    ...over,
  });
}
