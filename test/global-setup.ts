// Runs once before the suite: makes the real test footage with ffmpeg (cached under
// fixtures/generated) and brings up the real S3 server (MinIO with Object Lock, built from a
// pinned commit by scripts/s3-server.sh) unless one is already named in the environment.
// SEALDOCK_TEST_S3=off runs without it; the S3 tests then skip, and say so loudly with the reason.
// SEALDOCK_TEST_S3=required (CI) makes a server that cannot be started fail the run instead.
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
  let out: string;
  try {
    out = execFileSync('bash', ['scripts/s3-server.sh', 'start'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20 * 60_000,
    });
  } catch (err) {
    // The script's own words (go missing, build failed, port taken …), not just "exit status 1".
    const e = err as { stderr?: string; message: string };
    const said = (e.stderr ?? '').trim().split('\n').slice(-5).join('\n');
    throw new Error(said || e.message);
  }
  for (const line of out.split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) process.env[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
  }
  // Stop it afterwards only if this run started it.
  startedS3 = !wasRunning && Boolean(process.env.SEALDOCK_TEST_S3_ENDPOINT);
}

export default function setup(): () => void {
  execFileSync('bash', ['scripts/make-fixtures.sh'], { stdio: 'inherit' });
  const mode = process.env.SEALDOCK_TEST_S3 ?? 'auto';
  if (!['auto', 'off', 'required'].includes(mode)) {
    throw new Error(`SEALDOCK_TEST_S3=${mode}: use off, required, or leave it unset`);
  }
  let reason = mode === 'off' ? 'SEALDOCK_TEST_S3=off' : '';
  if (!process.env.SEALDOCK_TEST_S3_ENDPOINT && mode !== 'off') {
    try {
      startS3();
    } catch (err) {
      reason = `could not start the S3 test server: ${(err as Error).message}`;
    }
  }
  if (!process.env.SEALDOCK_TEST_S3_ENDPOINT) {
    if (mode === 'required') {
      throw new Error(`SEALDOCK_TEST_S3=required, but there is no S3 server: ${reason || 'none was started'}`);
    }
    const bar = '!'.repeat(78);
    const why = reason.split('\n').map((l) => `!!   ${l}`);
    process.stderr.write(
      `\n${bar}\n!! No S3 server: every test that needs the real S3 server (Object Lock, multipart,\n` +
        `!! outage, S3 daemon) is SKIPPED in this run. Why:\n${why.join('\n')}\n` +
        `!! It needs Go to build MinIO (scripts/s3-server.sh); see README.\n${bar}\n\n`,
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
