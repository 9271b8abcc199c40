// Creates a test bucket on an S3 server (there is no `mc` here). Idempotent.
//   node scripts/s3-bucket.mjs ENDPOINT BUCKET --lock | --no-lock
// --lock: Object Lock enabled at creation (which also enables versioning); it cannot be added later.
// --no-lock: a plain bucket, used to prove the daemon refuses to archive to it.
import {
  CreateBucketCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  S3Client,
} from '@aws-sdk/client-s3';

const [endpoint, bucket, mode = '--lock'] = process.argv.slice(2);
if (!endpoint || !bucket || !['--lock', '--no-lock'].includes(mode)) {
  console.error('usage: node scripts/s3-bucket.mjs ENDPOINT BUCKET --lock|--no-lock');
  process.exit(2);
}
const lock = mode === '--lock';

const s3 = new S3Client({
  endpoint,
  region: process.env.AWS_REGION ?? 'us-east-1',
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});

async function exists() {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (err) {
    if (err?.$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

async function ensure() {
  if (await exists()) {
    if (lock) {
      // A pre-existing bucket without lock would silently make every lock test meaningless.
      const cfg = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })).catch(() => null);
      if (cfg?.ObjectLockConfiguration?.ObjectLockEnabled !== 'Enabled') {
        console.error(`s3-bucket: ${bucket} exists WITHOUT Object Lock; delete the data dir and start again`);
        process.exit(1);
      }
    }
    console.error(`s3-bucket: ${bucket} exists`);
  } else {
    await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: lock }));
    console.error(`s3-bucket: created ${bucket}${lock ? ' with Object Lock' : ' (no Object Lock)'}`);
  }
}

// A server that has just started may still answer 503 (initialising) or drop a connection: try
// again for up to 30 s, then fail with what the server said in one line, not a stack's tail.
const deadline = Date.now() + 30_000;
for (let attempt = 1; ; attempt++) {
  try {
    await ensure();
    break;
  } catch (err) {
    const said = `${err?.name ?? 'Error'}: ${err?.message ?? err} (HTTP ${err?.$metadata?.httpStatusCode ?? 'none'}, ${err?.code ?? err?.Code ?? ''})`;
    if (Date.now() > deadline) {
      console.error(`s3-bucket: could not make ${bucket} after ${attempt} attempts: ${said}`);
      process.exit(1);
    }
    console.error(`s3-bucket: ${bucket}: ${said}; trying again`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
s3.destroy();
