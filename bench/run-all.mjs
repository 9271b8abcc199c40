// One command for every benchmark: runs each bench/*.mjs in turn (never two at once), collects the
// BENCH_RESULT line each prints last, and writes docs/PERFORMANCE.md: every figure with its
// same-run baseline, the ratio, the target, pass/fail, and the machine with its load at the time.
//
//   npm run build && npm run bench                      # the full runs (tens of minutes)
//   node bench/run-all.mjs --quick                      # small sizes, to prove the scripts work;
//                                                       # writes bench/out/PERFORMANCE-quick.md
//   node bench/run-all.mjs --only media,intake [--out FILE]
//   BENCH_MEDIA_TRANSCODE=1 npm run bench              # adds the transcode-overhead figure
//
// The S3 bench needs an S3 server with Object Lock: run-all starts its own MinIO
// (scripts/s3-server.sh, state in $SEALDOCK_S3_DIR, default /tmp/sealdock-bench-minio) unless
// SEALDOCK_TEST_S3_ENDPOINT is already set, and stops it afterwards.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine } from './lib/result.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split(',') : null;
const outFile = argv.includes('--out')
  ? path.resolve(argv[argv.indexOf('--out') + 1])
  : quick
    ? path.join(root, 'bench', 'out', 'PERFORMANCE-quick.md')
    : path.join(root, 'docs', 'PERFORMANCE.md');

/** Each bench: its script, arguments and environment, full and quick. */
const BENCHES = [
  {
    name: 'media',
    script: 'media.mjs',
    // the transcode overhead (several minutes of x264) only when asked: BENCH_MEDIA_TRANSCODE=1
    args: process.env.BENCH_MEDIA_TRANSCODE === '1' ? ['--transcode'] : [],
    env: quick ? { BENCH_CLIP: 'fixtures/generated/h264-aac-1080p.mp4', BENCH_ROUNDS: '2' } : {},
  },
  { name: 'intake', script: 'intake.mjs', args: quick ? ['64,128', '1'] : ['1024,4096', '3'], env: {} },
  {
    name: 'archive',
    script: 'archive.mjs',
    args: [],
    env: quick ? { BENCH_SIZE_MIB: '64', BENCH_ROUNDS: '1' } : {},
    needsS3: true,
  },
  { name: 'burst', script: 'burst.mjs', args: quick ? ['2', '2'] : ['10', '8'], env: {} },
  {
    name: 'api',
    script: 'api.mjs',
    args: [],
    env: quick
      ? { BENCH_ROWS: '5000', BENCH_CASES: '100', BENCH_REQUESTS: '200', BENCH_SIZE_MIB: '16', BENCH_ROUNDS: '1' }
      : {},
  },
  { name: 'seal', script: 'seal.mjs', args: quick ? ['20'] : [], env: {} },
].filter((b) => fs.existsSync(path.join(here, b.script)) && (!only || only.includes(b.name)));

if (!fs.existsSync(path.join(root, 'dist', 'daemon.js'))) {
  console.error('bench/run-all: dist/ is missing: run `npm run build` first');
  process.exit(2);
}

let s3Env = {};
let startedS3 = false;
function startS3() {
  if (process.env.SEALDOCK_TEST_S3_ENDPOINT) return;
  const env = { ...process.env, SEALDOCK_S3_DIR: process.env.SEALDOCK_S3_DIR ?? '/tmp/sealdock-bench-minio' };
  const out = execFileSync('bash', [path.join(root, 'scripts', 's3-server.sh'), 'start'], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (const m of out.matchAll(/^export ([A-Z0-9_]+)=(.*)$/gm)) s3Env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  s3Env.SEALDOCK_S3_DIR = env.SEALDOCK_S3_DIR;
  startedS3 = true;
}
function stopS3() {
  if (!startedS3) return;
  startedS3 = false;
  execFileSync('bash', [path.join(root, 'scripts', 's3-server.sh'), 'stop'], {
    env: { ...process.env, ...s3Env },
    stdio: 'inherit',
  });
}

function runBench(b) {
  return new Promise((resolve) => {
    const load = os.loadavg();
    const t0 = Date.now();
    let stdout = '';
    console.log(`\n=== bench/${b.script} ${b.args.join(' ')} (load ${load.map((x) => x.toFixed(1)).join(' ')})`);
    const child = spawn(process.execPath, [path.join(here, b.script), ...b.args], {
      cwd: root,
      env: { ...process.env, ...(b.needsS3 ? s3Env : {}), ...b.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (d) => {
      stdout += d;
      process.stdout.write(d);
    });
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let result = null;
      if (last.startsWith('BENCH_RESULT ')) {
        try {
          result = JSON.parse(last.slice('BENCH_RESULT '.length));
        } catch {
          result = null;
        }
      }
      resolve({
        bench: b,
        code,
        result,
        seconds: (Date.now() - t0) / 1000,
        loadBefore: load,
        loadAfter: os.loadavg(),
      });
    });
  });
}

const runs = [];
try {
  if (BENCHES.some((b) => b.needsS3)) {
    try {
      startS3();
    } catch (err) {
      console.error(`bench/run-all: could not start the S3 server (${err.message}); the S3 bench will fail`);
    }
  }
  // The S3 server runs only while a bench uses it: the benches after it measure beside nothing of
  // ours but themselves (MinIO's background scanner would otherwise walk what the archive bench left).
  const lastS3 = BENCHES.findLastIndex((b) => b.needsS3);
  for (const [i, b] of BENCHES.entries()) {
    runs.push(await runBench(b));
    if (i === lastS3) stopS3();
  }
} finally {
  stopS3();
}

// ---- docs/PERFORMANCE.md --------------------------------------------------------------------------
const m = machine();
const fmt = (v) => (v === null || v === undefined ? '—' : typeof v === 'number' ? String(v) : v);
const verdict = (p) => (p === true ? '**pass**' : p === false ? '**FAIL**' : 'info');
const esc = (s) => String(s ?? '').replace(/\|/g, '\\|');
const lines = [
  '# Performance',
  '',
  `Written by \`${argv.length ? `node bench/run-all.mjs ${argv.map((a) => (path.isAbsolute(a) ? path.relative(root, a) : a)).join(' ')}` : 'npm run bench'}\` on ${m.date}.` +
    (quick ? ' **Quick mode: small sizes, to prove the scripts run; not the figures the targets are about.**' : ''),
  'Every figure is compared with a baseline measured in the same run on the same machine; the ratio is',
  'figure ÷ baseline. Wall-clock figures on a shared machine move with its load: the load average',
  'before and after each bench is listed with it.',
  '',
  '## Machine',
  '',
  '| | |',
  '|---|---|',
  `| CPU | ${m.cpus} × ${esc(m.cpu)} |`,
  `| memory | ${m.memGiB} GiB |`,
  `| load average (1/5/15 min) at the end | ${m.loadavg.join(' / ')} |`,
  `| node | ${m.node} |`,
  `| ffmpeg | ${esc(m.ffmpeg)} |`,
  `| OS | ${esc(`${os.type()} ${os.release()}`)} |`,
  '',
  '## Figures',
  '',
  '| bench | figure | value | baseline (same run) | baseline value | ratio | target | result |',
  '|---|---|---|---|---|---|---|---|',
];
for (const r of runs) {
  if (!r.result) {
    lines.push(`| ${r.bench.name} | did not produce a BENCH_RESULT (exit ${r.code}) | — | — | — | — | — | **FAIL** |`);
    continue;
  }
  for (const f of r.result.figures) {
    lines.push(
      `| ${r.bench.name} | ${esc(f.name)} | ${fmt(f.value)} ${esc(f.unit)} | ${esc(f.baseline)} | ${fmt(f.baselineValue)} | ${fmt(
        f.ratio,
      )} | ${esc(f.target)} | ${verdict(f.pass)} |`,
    );
  }
}
lines.push('', '## Runs', '', '| bench | command | load before | load after | took |', '|---|---|---|---|---|');
for (const r of runs) {
  const envs = Object.entries(r.bench.env)
    .map(([k, v]) => `${k}=${v} `)
    .join('');
  lines.push(
    `| ${r.bench.name} | \`${envs}node bench/${r.bench.script} ${r.bench.args.join(' ')}\` | ${r.loadBefore
      .map((x) => x.toFixed(1))
      .join(' ')} | ${r.loadAfter.map((x) => x.toFixed(1)).join(' ')} | ${r.seconds.toFixed(0)} s |`,
  );
}
lines.push(
  '',
  '## What each bench measures',
  '',
  '- **media**: the default configuration derives the 60 s 1080p30 H.264 High/AAC clip (a remux with the',
  '  stream-hash proof, SHA-256 and fsync of the copy), in hours of footage per hour, against',
  '  `ffmpeg -i clip -map 0 -c copy` of the same clip; with `--transcode`, our transcode path against the',
  '  identical ffmpeg command.',
  '- **intake**: a real daemon preserves one file dropped on its dock (spool copy, catalog, local archive,',
  '  verification, intake manifest sealed and archived, dock file released), against the physical floor',
  "  max(`cp && sync`, one SHA-256 pass) of the same file; and the daemon's peak RSS at each size.",
  '- **archive**: `S3Archive.put` + `verify` of a file against a bare lib-storage `Upload` of it to the same',
  '  MinIO.',
  '- **burst**: 8 device folders × 10 unique clips with sidecars land at once; a real daemon archives all',
  '  (original, manifests, remuxed derivative) against the same work by minimal hand-written code, 2 clips',
  '  in parallel (see the header of bench/burst.mjs for the exact list). The daemon runs on the embedded',
  '  defaults except `intake.quietPeriodMs: 0` and `pollIntervalMs: 100`: the files land by rename, complete',
  '  at once (the default 3 s quiet period would add one wait to the whole burst).',
  '- **api**: `GET /evidence/{id}` at 1,000,000 catalog rows with every access durably audited (autocannon,',
  '  50 connections, its own process) against a bare fastify route; an item read 3,000 times against a fresh',
  '  one; `?state=`/`?collector=` page walks; `report --year`; a Range read through the API against',
  '  `archive.read` of the same object. **seal**: sealing one manifest (CAdES-B-B, node:crypto) against',
  '  node-forge and a bare `crypto.sign`. See the headers of bench/api.mjs and bench/seal.mjs.',
  '',
);
fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(outFile, `${lines.join('\n')}\n`);
console.log(`\nbench/run-all: wrote ${path.relative(root, outFile)}`);
const failed = runs.filter((r) => !r.result);
if (failed.length) {
  console.error(`bench/run-all: no result from ${failed.map((r) => r.bench.name).join(', ')}`);
  process.exitCode = 1;
}
