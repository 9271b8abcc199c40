// Runs once before the suite: makes the real test footage with ffmpeg (cached under
// fixtures/generated) and says loudly which real services the suite will use or skip.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('bash', ['scripts/make-fixtures.sh'], { stdio: 'inherit' });
  const s3 = process.env.SEALDOCK_TEST_S3_ENDPOINT;
  if (!s3) {
    const bar = '!'.repeat(78);
    process.stderr.write(
      `\n${bar}\n!! SEALDOCK_TEST_S3_ENDPOINT is not set: every test that needs the real S3 server\n` +
        `!! (Object Lock, multipart, outage) is SKIPPED in this run. Start it with\n` +
        `!!   eval "$(bash scripts/s3-server.sh start)"\n!! or run the whole suite as CI does: bash .ci/run\n${bar}\n\n`,
    );
  }
}
