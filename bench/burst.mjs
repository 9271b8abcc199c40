// bench/burst: a shift change. 8 recorders dock at once, 10 unique clips each (1080p and 720p
// H.264/AAC MP4, each with a complete sidecar), into a real daemon on the embedded defaults (local
// archive) but for two intake timings: the files land by rename(2), complete at once, so
// `intake.quietPeriodMs` is 0 (default 3000: one wait for the whole burst, not a per-clip cost)
// and `intake.pollIntervalMs` 100 (default 1000). Timed from the moment the files appear until all
// 80 are `archived`.
//
// Baseline, same run, same clips: "the same work done directly", hand-written minimal code with
// 2 clips in parallel, per clip:
//   copy dock → spool with SHA-256 in the same pass, fsync, rename, fsync dir;
//   ffprobe; read the sidecar;
//   seal the intake manifest (node:crypto RSA-SHA256 of a JSON), write it + signature, fsync;
//   archive the original (hard link, fsync dir) and verify it (one read-back SHA-256);
//   archive the intake manifest + signature;
//   remux with `ffmpeg -c copy -movflags +faststart`, writing the original's streamhash from the
//   same run; streamhash of the copy (the proof); SHA-256 + fsync of the copy;
//   seal the derivation manifest; archive derivative, manifest and signature (fsync, verify the
//   derivative by one read-back); delete the dock file.
// Every fsync of the direct side runs on the thread pool (fs.promises), so one clip's flush never
// stalls the other clip's work, as none of the daemon's does.
// What sealdock does on top (catalog + audit rows, decode check, CMS/CAdES structure, retention
// metadata) is its own cost and is part of what the ratio measures.
//
//   npm run build && node bench/burst.mjs [clipsPerDevice=10] [devices=8]
//   BURST_TIMELINE=1 …  also prints where the daemon's time went (per stage: waiting vs running),
//                       from its debug log and audit rows (logging costs a little itself)
//   BURST_KEEP=1 …  keeps bench/out/burst (the daemon's log, catalog, archive) for a closer look
//   BURST_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' …  node flags for the daemon
// Target: sealdock ≤ 1.1× the direct work.
import { execFile, spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { burstTimeline, printTimeline } from './lib/burst-timeline.mjs';
import { emit, figure } from './lib/result.mjs';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const perDevice = Number(process.argv[2] ?? 10);
const devices = Number(process.argv[3] ?? 8);
const work = path.join(root, 'bench', 'out', 'burst');
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
const timeline = process.env.BURST_TIMELINE === '1';
/**
 * CPU seconds used by a process and the children it has waited for (user + system), from
 * /proc: on a shared machine the wall clock moves with the load, the CPU a burst costs much less.
 */
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime, stime, cutime, cstime are fields 14–17 (1-based); the split starts at field 3
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map((t) => Number(t) / 100);
  return { own: utime + stime, children: cutime + cstime };
}
const cpuSince = (pid, before) => {
  const now = cpuSeconds(pid);
  return { own: now.own - before.own, children: now.children - before.children };
};
const showCpu = (c) =>
  `CPU ${(c.own + c.children).toFixed(1)} s: own ${c.own.toFixed(1)}, tools ${c.children.toFixed(1)}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fixtures = ['h264-aac-1080p.mp4', 'h264-aac.mp4'].map((f) => path.join(root, 'fixtures', 'generated', f));
for (const f of fixtures) {
  if (!fs.existsSync(f)) {
    console.error(`bench/burst: ${f} missing: run bash scripts/make-fixtures.sh`);
    process.exit(1);
  }
}

const SIDECAR = {
  caseNumber: 'A-2026-0042',
  recordedAt: '2026-11-20T08:15:00+08:00',
  place: '东街12号',
  collector: { name: '张三', id: '031245' },
  purpose: '证明当事人拒绝检查',
};

/** Stages the burst: unique clips (a fixture + a unique trailing free atom) with sidecars. */
function stage(dir, tag) {
  const files = [];
  for (let d = 0; d < devices; d++) {
    const dev = `DEV${String(d + 1).padStart(2, '0')}`;
    fs.mkdirSync(path.join(dir, dev), { recursive: true });
    for (let i = 0; i < perDevice; i++) {
      const base = fs.readFileSync(fixtures[i % 2]);
      const payload = Buffer.from(`burst ${tag} ${dev} ${i} ${randomBytes(8).toString('hex')}`);
      const atom = Buffer.alloc(8);
      atom.writeUInt32BE(8 + payload.length, 0);
      atom.write('free', 4, 'latin1');
      const name = `${dev}_20261120081500_${String(i).padStart(4, '0')}.mp4`;
      const rel = path.join(dev, name);
      fs.writeFileSync(path.join(dir, `${rel}.json`), JSON.stringify(SIDECAR));
      fs.writeFileSync(path.join(dir, rel), Buffer.concat([base, atom, payload]));
      files.push(rel);
    }
  }
  return files;
}

/** Moves a staged tree onto the dock with rename(2): every file appears complete at once. */
function land(staged, dock, files) {
  for (const rel of files) {
    fs.mkdirSync(path.join(dock, path.dirname(rel)), { recursive: true });
    fs.renameSync(path.join(staged, `${rel}.json`), path.join(dock, `${rel}.json`));
  }
  for (const rel of files) fs.renameSync(path.join(staged, rel), path.join(dock, rel));
}

async function viaSealdock() {
  const dir = path.join(work, 'sealdock');
  const dock = path.join(dir, 'dock');
  fs.mkdirSync(dock, { recursive: true });
  const staged = path.join(dir, 'staged');
  const files = stage(staged, 'sealdock');
  const cfg = path.join(dir, 'sealdock.yaml');
  fs.writeFileSync(
    cfg,
    [
      `dataDir: ${dir}/data`,
      'docks:',
      `  - { id: shift, path: ${dock}, place: 东街派出所, release: delete }`,
      // files land by rename: complete at once, so no quiet period is needed to trust them
      'intake: { quietPeriodMs: 0, pollIntervalMs: 100 }',
      `archive: { local: { path: ${dir}/archive } }`,
      'api: { enabled: false }',
      `log: { level: ${timeline ? 'debug' : 'warn'}, format: json }`,
    ].join('\n'),
  );
  const logFile = path.join(dir, 'daemon.log');
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BURST_NODE_ARGS ? process.env.BURST_NODE_ARGS.split(' ') : []),
      path.join(root, 'bin', 'sealdock.js'),
      '--config',
      cfg,
      'start',
    ],
    {
      stdio: ['ignore', 'ignore', timeline ? fs.openSync(logFile, 'w') : 'inherit'],
    },
  );
  const statusFile = path.join(dir, 'data', 'daemon-status.json');
  while (!fs.existsSync(statusFile)) await sleep(50);
  const cpu0 = cpuSeconds(child.pid);
  const t0 = performance.now();
  const landedAt = Date.now();
  land(staged, dock, files);
  const catalog = path.join(dir, 'data', 'catalog.sqlite');
  let seconds;
  let cpu;
  for (;;) {
    await sleep(100);
    const db = new Database(catalog, { readonly: true });
    db.pragma('busy_timeout = 5000');
    const r = db.prepare(`SELECT COUNT(*) AS n FROM evidence WHERE state = 'archived'`).get();
    const bad = db.prepare(`SELECT id, state, error FROM evidence WHERE state IN ('failed', 'unplayable')`).all();
    db.close();
    if (bad.length) console.error('bench/burst: items not going well:', JSON.stringify(bad.slice(0, 3)));
    if (r.n === files.length) {
      seconds = (performance.now() - t0) / 1000;
      cpu = cpuSince(child.pid, cpu0);
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      console.log(`sealdock daemon: peak RSS ${(status.match(/VmHWM:\s+(\d+)/)[1] / 1024) | 0} MB`);
      break;
    }
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  if (timeline) printTimeline(burstTimeline(logFile, catalog, landedAt));
  return { seconds, cpu, clips: files.length };
}

// ---- the same work, done directly -------------------------------------------------------------
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });

// on the thread pool, as the daemon's: an fsync on the event loop would stall the other clip's work
async function fsyncPath(p) {
  const handle = await fs.promises.open(p, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function copyHashed(src, dest) {
  const hash = createHash('sha256');
  const out = fs.createWriteStream(dest, { flags: 'wx' });
  for await (const chunk of fs.createReadStream(src, { highWaterMark: 4 * 1024 * 1024 })) {
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
  await fsyncPath(dest);
  return hash.digest('hex');
}

async function sha256Of(file) {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) hash.update(chunk);
  return hash.digest('hex');
}

async function sealTo(dir, name, manifest) {
  const json = Buffer.from(JSON.stringify(manifest));
  fs.writeFileSync(path.join(dir, `${name}.json.sig`), sign('sha256', json, privateKey));
  fs.writeFileSync(path.join(dir, `${name}.json`), json);
  await fsyncPath(path.join(dir, `${name}.json.sig`));
  await fsyncPath(path.join(dir, `${name}.json`));
}

async function directOne(dock, spool, archive, rel) {
  const src = path.join(dock, rel);
  const tmp = path.join(spool, `${path.basename(rel)}.part`);
  const sha = await copyHashed(src, tmp);
  const original = path.join(spool, sha);
  fs.chmodSync(tmp, 0o400);
  fs.renameSync(tmp, original);
  await fsyncPath(spool);
  const probe = JSON.parse(
    (await run('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', original])).stdout,
  );
  const sidecar = JSON.parse(fs.readFileSync(`${src}.json`, 'utf8'));
  const item = path.join(archive, sha.slice(0, 24));
  fs.mkdirSync(item, { recursive: true });
  await sealTo(item, '0001', { sha256: sha, name: rel, probe: probe.format, sidecar });
  fs.linkSync(original, path.join(item, 'original'));
  await fsyncPath(item);
  if ((await sha256Of(path.join(item, 'original'))) !== sha) throw new Error('archived original differs');
  const job = path.join(spool, `${sha}.job`);
  fs.mkdirSync(job);
  await run('ffmpeg', [
    ...['-nostdin', '-v', 'error', '-i', original],
    ...[
      '-map',
      '0:v:0',
      '-map',
      '0:a:0?',
      '-c',
      'copy',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      path.join(job, 'd.mp4'),
    ],
    ...[
      '-map',
      '0:v:0',
      '-map',
      '0:a:0?',
      '-c',
      'copy',
      '-f',
      'streamhash',
      '-hash',
      'sha256',
      path.join(job, 'o.hash'),
    ],
  ]);
  const [copyHash, dsha] = await Promise.all([
    run('ffmpeg', [
      '-nostdin',
      '-v',
      'error',
      '-i',
      path.join(job, 'd.mp4'),
      '-map',
      '0',
      '-c',
      'copy',
      '-f',
      'streamhash',
      '-hash',
      'sha256',
      '-',
    ]),
    (async () => {
      await fsyncPath(path.join(job, 'd.mp4'));
      return sha256Of(path.join(job, 'd.mp4'));
    })(),
  ]);
  const strip = (t) =>
    t
      .trim()
      .split('\n')
      .map((l) => l.replace(/^\d+,/, ''));
  if (strip(copyHash.stdout).join() !== strip(fs.readFileSync(path.join(job, 'o.hash'), 'utf8')).join())
    throw new Error('remux changed the streams');
  await sealTo(item, '0002', { sha256: sha, derivative: dsha, elements: sidecar });
  fs.linkSync(path.join(job, 'd.mp4'), path.join(item, 'derivative.mp4'));
  await fsyncPath(item);
  if ((await sha256Of(path.join(item, 'derivative.mp4'))) !== dsha) throw new Error('archived derivative differs');
  fs.rmSync(job, { recursive: true });
  fs.unlinkSync(src);
}

async function direct() {
  const dir = path.join(work, 'direct');
  const dock = path.join(dir, 'dock');
  const spool = path.join(dir, 'spool');
  const archive = path.join(dir, 'archive');
  for (const d of [dock, spool, archive]) fs.mkdirSync(d, { recursive: true });
  const staged = path.join(dir, 'staged');
  const files = stage(staged, 'direct');
  const cpu0 = cpuSeconds(process.pid);
  const t0 = performance.now();
  land(staged, dock, files);
  const queue = [...files];
  await Promise.all(
    [0, 1].map(async () => {
      for (let rel = queue.shift(); rel; rel = queue.shift()) await directOne(dock, spool, archive, rel);
    }),
  );
  return { seconds: (performance.now() - t0) / 1000, cpu: cpuSince(process.pid, cpu0), clips: files.length };
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 1);
const ours = [];
const theirs = [];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? [viaSealdock, direct] : [direct, viaSealdock];
  for (const f of order) {
    const res = await f();
    (f === viaSealdock ? ours : theirs).push(res.seconds);
    console.log(
      `${f === viaSealdock ? 'sealdock' : 'direct  '}: ${res.clips} clips archived in ${res.seconds.toFixed(2)} s ` +
        `(${showCpu(res.cpu)}; load ${os.loadavg()[0].toFixed(1)})`,
    );
    if (!process.env.BURST_KEEP)
      fs.rmSync(path.join(work, f === viaSealdock ? 'sealdock' : 'direct'), { recursive: true, force: true });
  }
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ratio = mean(ours) / mean(theirs);
console.log(`ratio sealdock / direct: ${ratio.toFixed(2)} (target ≤ 1.1)`);
if (!process.env.BURST_KEEP) fs.rmSync(work, { recursive: true, force: true });
emit('burst', [
  figure(
    `shift-change burst: ${devices} devices × ${perDevice} clips (1080p/720p H.264 + sidecars), all archived`,
    mean(ours),
    's',
    'the same work done directly (minimal code, 2 in parallel), same run',
    mean(theirs),
    ratio,
    '≤ 1.1× direct',
    ratio <= 1.1,
  ),
]);
