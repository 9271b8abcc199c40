// Archive bench: S3Archive.put + verify of a 1 GiB file vs a bare lib-storage Upload of the same file
// to the same server, each in its own child process (so peak RSS is per variant), alternating order.
//   npm run build && eval "$(bash scripts/s3-server.sh start)" && node bench/archive.mjs
// Env: BENCH_SIZE_MIB (default 1024), BENCH_ROUNDS (default 2), BENCH_PART_MIB (16), BENCH_QUEUE (2).
// Target: sealdock / bare ≤ 1.3 including verification. Last line: BENCH_RESULT (bench/run-all.mjs).
import { execFileSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emit, figure } from './lib/result.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const MiB = 1024 * 1024;
const sizeMiB = Number(process.env.BENCH_SIZE_MIB ?? 1024);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const partSizeMiB = Number(process.env.BENCH_PART_MIB ?? 16);
const queueSize = Number(process.env.BENCH_QUEUE ?? 2);
const endpoint = process.env.SEALDOCK_TEST_S3_ENDPOINT;
const bucket = process.env.SEALDOCK_TEST_S3_BUCKET ?? 'sealdock-test';
const file = path.join(here, 'out', `archive-${sizeMiB}MiB.bin`);
const serverPid = process.env.SEALDOCK_TEST_S3_PID;

/** CPU seconds the S3 server has used (Linux /proc): wall time is noisy on a shared 2-core box, CPU less so. */
function serverCpu() {
  try {
    const stat = readFileSync(`/proc/${serverPid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return Number.NaN;
  }
}

async function child(variant, key, sha256) {
  const t0 = performance.now();
  if (variant === 'sealdock') {
    const { S3Archive } = await import(path.join(repo, 'dist/archive/s3.js'));
    const archive = new S3Archive({
      endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
      bucket,
      forcePathStyle: true,
      partSizeMiB,
      queueSize,
      verify: 'checksum',
      requestTimeoutMs: 120_000,
    });
    const size = statSync(file).size;
    const opts = {
      sha256,
      size,
      contentType: 'video/mp4',
      retainUntil: new Date(Date.now() + 3600_000),
      legalHold: false,
    };
    await archive.put(key, { path: file }, opts);
    const v = await archive.verify(key, { sha256, size });
    if (!v.ok) throw new Error(`verify failed: ${v.problem}`);
    await archive.close();
    return { ms: performance.now() - t0, verify: v.method };
  }
  // What a developer would write without sealdock: default client, same part size and queue.
  const { S3Client } = await import('@aws-sdk/client-s3');
  const { Upload } = await import('@aws-sdk/lib-storage');
  const client = new S3Client({ endpoint, region: process.env.AWS_REGION ?? 'us-east-1', forcePathStyle: true });
  await new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: createReadStream(file) },
    partSize: partSizeMiB * MiB,
    queueSize,
  }).done();
  client.destroy();
  return { ms: performance.now() - t0, verify: 'none' };
}

if (process.argv[2] === '--child') {
  const [, , , variant, key, sha256] = process.argv;
  const r = await child(variant, key, sha256);
  // maxRSS is in KiB
  const ru = process.resourceUsage();
  console.log(JSON.stringify({ ...r, maxRssMiB: ru.maxRSS / 1024, cpuS: (ru.userCPUTime + ru.systemCPUTime) / 1e6 }));
  process.exit(0);
}

if (!endpoint) {
  console.error('SEALDOCK_TEST_S3_ENDPOINT is not set. Start the test server first:');
  console.error('  eval "$(bash scripts/s3-server.sh start)" && node bench/archive.mjs');
  process.exit(2);
}
if (!existsSync(path.join(repo, 'dist/archive/s3.js'))) {
  console.error('dist/archive/s3.js is missing: run `npm run build` first.');
  process.exit(2);
}

mkdirSync(path.dirname(file), { recursive: true });
if (!existsSync(file) || statSync(file).size !== sizeMiB * MiB) {
  console.error(`generating ${file} (${sizeMiB} MiB of random bytes: incompressible, like video)`);
  const fd = openSync(file, 'w');
  const buf = Buffer.alloc(16 * MiB);
  for (let left = sizeMiB * MiB; left > 0; left -= buf.length) {
    randomFillSync(buf);
    writeSync(fd, buf, 0, Math.min(buf.length, left));
  }
  closeSync(fd);
}
// The pipeline knows the hash from the spool copy, so it is not part of the timed archive step.
const hash = createHash('sha256');
for await (const c of createReadStream(file, { highWaterMark: 4 * MiB })) hash.update(c);
const sha256 = hash.digest('hex');

const results = { sealdock: [], bare: [] };
const runId = Date.now().toString(36);
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? ['sealdock', 'bare'] : ['bare', 'sealdock'];
  for (const variant of order) {
    const key = `bench/${runId}/${r}-${variant}.bin`;
    const cpu0 = serverCpu();
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', variant, key, sha256], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const res = { ...JSON.parse(out.trim().split('\n').pop()), serverCpuS: serverCpu() - cpu0 };
    results[variant].push(res);
    console.log(
      `round ${r + 1} ${variant.padEnd(8)} ${(res.ms / 1000).toFixed(2)} s  ` +
        `${((sizeMiB / res.ms) * 1000).toFixed(0)} MiB/s  maxRSS ${res.maxRssMiB.toFixed(0)} MiB  ` +
        `cpu client ${res.cpuS.toFixed(1)} s server ${res.serverCpuS.toFixed(1)} s  verify=${res.verify}`,
    );
  }
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const line = (name, xs) =>
  `${name} wall mean ${(mean(xs.map((x) => x.ms)) / 1000).toFixed(2)} s, median ${(median(xs.map((x) => x.ms)) / 1000).toFixed(2)} s; ` +
  `cpu client ${mean(xs.map((x) => x.cpuS)).toFixed(1)} s + server ${mean(xs.map((x) => x.serverCpuS)).toFixed(1)} s; ` +
  `peak RSS ${Math.max(...xs.map((x) => x.maxRssMiB)).toFixed(0)} MiB`;
const ratio = mean(results.sealdock.map((x) => x.ms)) / mean(results.bare.map((x) => x.ms));
const medRatio = median(results.sealdock.map((x) => x.ms)) / median(results.bare.map((x) => x.ms));
const cpuTotal = (xs) => mean(xs.map((x) => x.cpuS + (Number.isNaN(x.serverCpuS) ? 0 : x.serverCpuS)));
console.log(
  `\n${sizeMiB} MiB, part ${partSizeMiB} MiB, queue ${queueSize}, ${rounds} rounds, load avg ${os.loadavg()[0].toFixed(1)}\n` +
    `${line('sealdock put+verify', results.sealdock)}\n${line('bare Upload        ', results.bare)}\n` +
    `ratio wall mean ${ratio.toFixed(3)}, median ${medRatio.toFixed(3)}; ` +
    `cpu (client+server) ${(cpuTotal(results.sealdock) / cpuTotal(results.bare)).toFixed(3)} (target ≤ 1.3): ` +
    `${ratio <= 1.3 ? 'OK' : 'OVER TARGET'}`,
);
const label = sizeMiB % 1024 === 0 ? `${sizeMiB / 1024} GiB` : `${sizeMiB} MiB`;
emit('archive', [
  figure(
    `S3 put + verify of ${label} (part ${partSizeMiB} MiB, queue ${queueSize}), mean of ${rounds}`,
    mean(results.sealdock.map((x) => x.ms)) / 1000,
    's',
    'bare lib-storage Upload of the same file to the same server, same run',
    mean(results.bare.map((x) => x.ms)) / 1000,
    ratio,
    '≤ 1.3× bare Upload',
    ratio <= 1.3,
  ),
  figure(
    `S3 put + verify peak RSS (${label})`,
    Math.max(...results.sealdock.map((x) => x.maxRssMiB)) * 1.048576,
    'MB',
    'bare Upload peak RSS, same run',
    Math.max(...results.bare.map((x) => x.maxRssMiB)) * 1.048576,
    Math.max(...results.sealdock.map((x) => x.maxRssMiB)) / Math.max(...results.bare.map((x) => x.maxRssMiB)),
    'informational (the whole client process, lib-storage buffers included)',
    null,
  ),
]);
