// Runs once before the suite: makes the real test footage with ffmpeg (cached under
// fixtures/generated) and brings up the real S3 server (MinIO with Object Lock, built from a
// pinned commit by scripts/s3-server.sh) unless one is already named in the environment.
// SEALDOCK_TEST_S3=off runs without it; the S3 tests then skip, and say so loudly.
import { execFileSync } from 'node:child_process';

let startedS3 = false;

function alreadyRunning(): boolean {
  try {
    return execFileSync('bash', ['scripts/s3-server.sh', 'status'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).includes('running pid');
  } catch {
    return false;
  }
}

function startS3(): void {
  const wasRunning = alreadyRunning();
  const out = execFileSync('bash', ['scripts/s3-server.sh', 'start'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 20 * 60_000,
  });
  for (const line of out.split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) process.env[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
  }
  // Stop it afterwards only if this run started it.
  startedS3 = !wasRunning && Boolean(process.env.SEALDOCK_TEST_S3_ENDPOINT);
}

export default function setup(): () => void {
  execFileSync('bash', ['scripts/make-fixtures.sh'], { stdio: 'inherit' });
  if (!process.env.SEALDOCK_TEST_S3_ENDPOINT && process.env.SEALDOCK_TEST_S3 !== 'off') {
    try {
      startS3();
    } catch (err) {
      process.stderr.write(`could not start the S3 test server: ${(err as Error).message}\n`);
    }
  }
  if (!process.env.SEALDOCK_TEST_S3_ENDPOINT) {
    const bar = '!'.repeat(78);
    process.stderr.write(
      `\n${bar}\n!! No S3 server: every test that needs the real S3 server (Object Lock, multipart,\n` +
        `!! outage, S3 daemon) is SKIPPED in this run. It needs Go to build MinIO; see README.\n${bar}\n\n`,
    );
  } else {
    process.stderr.write(
      `S3 tests use ${process.env.SEALDOCK_TEST_S3_ENDPOINT}${startedS3 ? ' (started for this run)' : ''}\n`,
    );
  }
  return () => {
    if (startedS3) execFileSync('bash', ['scripts/s3-server.sh', 'stop'], { stdio: 'inherit' });
  };
}
