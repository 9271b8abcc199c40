// bench/media: how fast the default configuration derives the typical body-camera clip (60 s
// 1080p30 H.264 High/AAC in MP4), against `ffmpeg -c copy` of the same clip in the same run.
//
//   npm run build && node bench/media.mjs [--transcode]
//
// The clip is made by `bash scripts/make-fixtures.sh --bench` if missing (BENCH_CLIP overrides it,
// e.g. fixtures/generated/h264-aac-1080p.mp4 for a smoke run). Each figure is the median of
// BENCH_ROUNDS (default 3) runs, alternating order. Target: remuxed, ≥ 200 hours of footage per
// hour. `--transcode` adds the overhead of our transcode path against the identical ffmpeg command.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emit, figure, median } from './lib/result.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
if (!existsSync(path.join(dist, 'media', 'derive.js'))) {
  console.error('bench/media: dist/media/derive.js not found: run `npm run build` first');
  process.exit(1);
}
const clip = process.env.BENCH_CLIP
  ? path.resolve(process.env.BENCH_CLIP)
  : path.join(root, 'fixtures', 'generated', 'large-60s-1080p.mp4');
if (!existsSync(clip)) {
  console.error('bench/media: making the 60 s 1080p clip (bash scripts/make-fixtures.sh --bench)…');
  await run('bash', [path.join(root, 'scripts', 'make-fixtures.sh'), '--bench'], root, 'inherit');
}
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const withTranscode = process.argv.includes('--transcode');

const { createMediaService } = await import(path.join(dist, 'media', 'index.js'));
const { loadConfig } = await import(path.join(dist, 'config', 'load.js'));
const { mediaConfigOf } = await import(path.join(dist, 'config', 'adapters.js'));

// The embedded defaults, exactly as `npm start` runs them.
const { config } = loadConfig({ env: {} });
const media = createMediaService({ ...mediaConfigOf(config), nodeId: 'bench' });
const ffmpegPath = media.config.ffmpegPath;

const probed = await media.probe(clip);
if (!probed.ok) throw new Error(`cannot probe ${clip}: ${probed.error}`);
const duration = probed.probe.durationSeconds ?? 60;
const video = probed.probe.streams.find((s) => s.type === 'video');
const plan = media.plan(probed.probe);
console.log(
  `clip ${path.basename(clip)}: ${duration.toFixed(1)} s, ${video?.width}×${video?.height} ${video?.codec} ` +
    `${video?.profile ?? ''} ${video?.pixelFormat}; default plan: ${plan.mode} (${plan.reason})`,
);
const sha = createHash('sha256').update(readFileSync(clip)).digest('hex');
const tags = { evidenceId: 'bench', originalSha256: sha, caseNumber: 'B-1', place: '东街12号' };
await media.ffmpegVersion(); // warm the cache so no run pays for it

const outRoot = path.join(root, 'bench', 'out', 'media');
rmSync(outRoot, { recursive: true, force: true });
// job dirs all at the same depth, so the relative input path in the recorded args works in each
const jobDir = (name) => {
  const d = path.join(outRoot, name);
  mkdirSync(d, { recursive: true });
  return d;
};
const seconds = async (fn) => {
  const t0 = performance.now();
  const value = await fn();
  return { s: (performance.now() - t0) / 1000, value };
};

const ours = [];
const copy = [];
let method;
let hashedBy;
for (let i = 0; i < rounds; i++) {
  const order = i % 2 === 0 ? ['ours', 'copy'] : ['copy', 'ours'];
  for (const who of order) {
    if (who === 'ours') {
      // the whole derivation: stream copy + faststart + stamped tags, stream-hash proof of both
      // sides (hashedBy: sealdock's MP4 reader or ffmpeg), SHA-256 and fsync of the derivative
      const r = await seconds(() =>
        media.derive({ input: clip, output: path.join(jobDir(`ours-${i}`), 'd.mp4'), probe: probed.probe, tags }),
      );
      method = r.value.method;
      hashedBy = r.value.streamHashes?.hashedBy;
      ours.push(r.s);
    } else {
      const dir = jobDir(`copy-${i}`);
      const r = await seconds(() =>
        run(ffmpegPath, ['-v', 'error', '-y', '-i', clip, '-map', '0', '-c', 'copy', path.join(dir, 'c.mp4')], dir),
      );
      copy.push(r.s);
    }
  }
}
const oursHph = duration / median(ours);
const copyHph = duration / median(copy);
console.log(
  `derivation via sealdock (default config): ${median(ours).toFixed(3)} s → ${oursHph.toFixed(0)} h/h` +
    ` (stream hashes by ${hashedBy ?? 'nobody'})`,
);
console.log(`ffmpeg -c copy of the same clip:          ${median(copy).toFixed(3)} s → ${copyHph.toFixed(0)} h/h`);

const figures = [
  figure(
    `derivation of a 60 s 1080p H.264 clip, default config (${method})`,
    oursHph,
    'hours of footage per hour',
    'ffmpeg -i clip -map 0 -c copy, same run',
    copyHph,
    oursHph / copyHph,
    '≥ 200 h/h and remuxed',
    method === 'remux' && oursHph >= 200,
  ),
];

if (withTranscode) {
  const wrapped = [];
  const raw = [];
  let args;
  const forced = { mode: 'transcode', reason: 'bench: the transcode path' };
  for (let i = 0; i < 2; i++) {
    const order = i % 2 === 0 ? ['sealdock', 'direct'] : ['direct', 'sealdock'];
    for (const who of order) {
      if (who === 'sealdock') {
        const dir = jobDir(`transcode-${i}`);
        const r = await seconds(() =>
          media.derive({ input: clip, output: path.join(dir, 'd.mp4'), probe: probed.probe, plan: forced, tags }),
        );
        args = r.value.args;
        wrapped.push(r.s);
      } else {
        raw.push((await seconds(() => run(ffmpegPath, args, jobDir(`transcode-direct-${i}`)))).s);
      }
    }
  }
  const ratio = median(wrapped) / median(raw);
  console.log(
    `transcode via sealdock ${median(wrapped).toFixed(2)} s, same ffmpeg args directly ${median(raw).toFixed(2)} s`,
  );
  figures.push(
    figure(
      'transcode 1080p → 720p (veryfast), when one is needed',
      median(wrapped),
      's',
      'the identical ffmpeg command run directly, same run',
      median(raw),
      ratio,
      '≤ 1.05× direct',
      ratio <= 1.05,
    ),
  );
}
rmSync(outRoot, { recursive: true, force: true });
emit('media', figures, { clip: path.basename(clip), durationSeconds: duration, rounds, streamHashesBy: hashedBy });

function run(cmd, argv, cwd, stdio = 'ignore') {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd, stdio: ['ignore', stdio, stdio] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}`))));
  });
}
