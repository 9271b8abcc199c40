import { describe } from 'vitest';
import { runArchiveConformance } from './conformance.js';
import { makeS3Archive, s3Endpoint, warnIfSkipped } from './s3-env.js';

warnIfSkipped('test/archive/s3.conformance.test.ts');

describe.skipIf(!s3Endpoint)('S3Archive against the real server', () => {
  runArchiveConformance('s3', async () => ({ backend: makeS3Archive(), cleanup: async () => undefined }));
  runArchiveConformance('s3 (verify: readback)', async () => ({
    backend: makeS3Archive({ verify: 'readback' }),
    cleanup: async () => undefined,
  }));
});
