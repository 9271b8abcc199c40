// Media benchmark: remux speed, and the overhead of our transcode path against the identical ffmpeg
// command spawned directly. Run after `npm run build`:
//   bash scripts/make-fixtures.sh --bench && node bench/media.mjs
// Prints figures only; no assertions (timings vary by machine).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist', 'media');
if (!existsSync(path.join(dist, 'derive.js'))) {
  console.error('bench/media: dist/media/derive.js not found: run `npm run build` first');
  process.exit(1);
}
const clip = path.join(root, 'fixtures', 'generated', 'large-60s-1080p.mp4');
if (!existsSync(clip)) {
  console.error('bench/media: making the 60 s 1080p clip (bash scripts/make-fixtures.sh --bench)…');
  await run('bash', [path.join(root, 'scripts', 'make-fixtures.sh'), '--bench'], root, 'inherit');
}

const { deriveMedia } = await import(path.join(dist, 'derive.js'));
const { probeMedia } = await import(path.join(dist, 'probe.js'));
const { ffmpegVersion } = await import(path.join(dist, 'ffmpeg.js'));

const ffmpegPath = process.env.FFMPEG ?? 'ffmpeg';
const ffprobePath = process.env.FFPROBE ?? 'ffprobe';
const cfg = {
  ffmpegPath,
  maxHeight: 720,
  preset: 'veryfast',
  nice: 0,
  timeoutSeconds: 0,
  burnIn: false,
  nodeId: 'bench',
};
const outRoot = path.join(root, 'bench', 'out', 'media');
rmSync(outRoot, { recursive: true, force: true });

const probed = await probeMedia(clip, { ffmpegPath, ffprobePath });
if (!probed.ok) throw new Error(`cannot probe ${clip}: ${probed.error}`);
const duration = probed.probe.durationSeconds ?? 60;
const sha = createHash('sha256').update(readFileSync(clip)).digest('hex');
const tags = { evidenceId: 'bench', originalSha256: sha, caseNumber: 'B-1', place: '东街12号' };
await ffmpegVersion(ffmpegPath); // warm the cache so no rep pays for it

// job dirs all at the same depth, so the relative input path in the recorded args works in each
function jobDir(name) {
  const d = path.join(outRoot, name);
  mkdirSync(d, { recursive: true });
  return d;
}

// CPU seconds of this process plus its reaped children (/proc/self/stat cutime+cstime, 100 Hz
// ticks): unlike wall time, barely moved by whatever else is loading the machine.
function cpuNow() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const self = process.cpuUsage();
  return (Number(f[13]) + Number(f[14])) / 100 + (self.user + self.system) / 1e6;
}

async function measure(fn) {
  const c0 = cpuNow();
  const t0 = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t0) / 1000, cpu: cpuNow() - c0, value };
}

function viaSealdock(name, config) {
  const dir = jobDir(name);
  return measure(() =>
    deriveMedia({ input: clip, output: path.join(dir, 'd.mp4'), probe: probed.probe, tags }, config),
  ).then((m) => ({ ...m, prov: m.value }));
}

function direct(name, args) {
  const dir = jobDir(name);
  return measure(() => run(ffmpegPath, args, dir, 'ignore'));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// Remux: the clip is within a 1080 cap, so the plan is a stream copy (+ stream-hash proof + SHA-256).
const remux = [];
let remuxProv;
for (let i = 0; i < 2; i++) {
  const r = await viaSealdock(`remux-${i}`, { ...cfg, maxHeight: 1080 });
  if (r.prov.method !== 'remux') throw new Error(`expected a remux, got ${r.prov.method}`);
  remux.push(r);
  remuxProv = r.prov;
}
const remuxDirect = [];
for (let i = 0; i < 2; i++) remuxDirect.push(await direct(`remux-direct-${i}`, remuxProv.args));

// Transcode 1080p → 720p, alternating which goes first (sealdock first in rep 0, which yields the args).
const wrapped = [];
const raw = [];
let args;
for (let i = 0; i < 2; i++) {
  const order = i % 2 === 0 ? ['sealdock', 'direct'] : ['direct', 'sealdock'];
  for (const who of order) {
    if (who === 'sealdock') {
      const r = await viaSealdock(`transcode-${i}`, cfg);
      if (r.prov.method !== 'transcode') throw new Error(`expected a transcode, got ${r.prov.method}`);
      args = r.prov.args;
      wrapped.push(r);
    } else {
      if (!args) throw new Error('the first repetition runs sealdock first, so args are known');
      raw.push(await direct(`transcode-direct-${i}`, args));
    }
  }
}

const wall = (xs) => median(xs.map((x) => x.seconds));
const cpu = (xs) => median(xs.map((x) => x.cpu));
const rows = [
  ['remux via sealdock (copy + streamhash ×2 + sha256)', remux],
  ['remux, same ffmpeg args run directly', remuxDirect],
  ['transcode via sealdock (veryfast, →720p)', wrapped],
  ['transcode, same ffmpeg args run directly', raw],
];
console.log(
  `\nsealdock media bench — ${path.basename(clip)}, ${duration.toFixed(1)} s, ffmpeg ${await ffmpegVersion(ffmpegPath)}`,
);
console.log('median of 2 runs each\n');
console.log(`${'path'.padEnd(52)} ${'wall s'.padStart(8)} ${'× real time'.padStart(12)} ${'CPU s'.padStart(8)}`);
for (const [label, xs] of rows) {
  const w = wall(xs);
  console.log(
    `${label.padEnd(52)} ${w.toFixed(3).padStart(8)} ${(duration / w).toFixed(1).padStart(12)} ${cpu(xs).toFixed(2).padStart(8)}`,
  );
}
const ratio = wall(wrapped) / wall(raw);
console.log(
  `\ntranscode overhead ratio sealdock/direct: ${ratio.toFixed(3)} (target ≤ 1.05) ${ratio <= 1.05 ? 'OK' : 'OVER'}`,
);
console.log(`transcode CPU-time ratio sealdock/direct: ${(cpu(wrapped) / cpu(raw)).toFixed(3)} (load-independent)`);
const list = (xs) => xs.map((x) => `${x.seconds.toFixed(2)} wall/${x.cpu.toFixed(2)} cpu`).join(', ');
console.log(`transcode runs (s): sealdock ${list(wrapped)}; direct ${list(raw)}`);
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`load average at end: ${load} (wall figures compare only on an otherwise idle machine)`);
rmSync(outRoot, { recursive: true, force: true });

function run(cmd, argv, cwd, stdio) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, stdio: ['ignore', stdio, stdio] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}`))));
  });
}
