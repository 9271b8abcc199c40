// bench/intake: the Preserve phase of one large file (dock → spool with SHA-256 → catalog →
// local archive → verified → intake manifest sealed and archived → dock released), by the real
// daemon process, against the physical floor measured on the same disk in the same run,
// alternating order: max(`cp && sync`, one SHA-256 pass of the file).
//
//   npm run build && node bench/intake.mjs [sizesMiB=1024,4096] [rounds=3]
//
// The first size is timed over `rounds` rounds (median); further sizes run once, for their time
// and the daemon's peak RSS (VmHWM). Targets: ≤ 2× the floor at 1 GiB; peak RSS < 200 MB at every
// size.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { emit, figure, median } from './lib/result.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sizes = String(process.argv[2] ?? '1024,4096')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const rounds = Number(process.argv[3] ?? 3);
let sizeMiB = sizes[0];
const work = path.join(root, 'bench', 'out', 'intake');
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });

function makeSource(file, tag) {
  // Incompressible, distinct per round (otherwise the second round is a re-dock, not an intake).
  const fd = fs.openSync(file, 'w');
  const chunk = randomBytes(8 * 1024 * 1024);
  for (let i = 0; i < sizeMiB / 8; i++) {
    chunk.writeUInt32BE(i, 0);
    chunk.write(tag, 4);
    fs.writeSync(fd, chunk);
  }
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function timeCp(src, withSync) {
  const dst = path.join(work, 'cp-target.bin');
  fs.rmSync(dst, { force: true });
  const t0 = process.hrtime.bigint();
  execFileSync('cp', [src, dst]);
  if (withSync) execFileSync('sync', [dst]);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.rmSync(dst, { force: true });
  return s;
}

async function timeDaemon(src, round) {
  const dir = path.join(work, `daemon-${round}`);
  const dock = path.join(dir, 'dock');
  fs.mkdirSync(path.join(dock, 'DEV01'), { recursive: true });
  const cfg = path.join(dir, 'sealdock.yaml');
  fs.writeFileSync(
    cfg,
    [
      `dataDir: ${dir}/data`,
      'docks:',
      `  - { id: bench, path: ${dock}, place: bench, release: delete }`,
      'intake: { quietPeriodMs: 0, pollIntervalMs: 50 }',
      `archive: { local: { path: ${dir}/archive } }`,
      'api: { enabled: false }',
      'log: { level: warn }',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [path.join(root, 'bin', 'sealdock.js'), '--config', cfg, 'start'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const catalog = path.join(dir, 'data', 'catalog.sqlite');
  const statusFile = path.join(dir, 'data', 'daemon-status.json');
  while (!fs.existsSync(statusFile)) await sleep(50);
  // rename(2) onto the dock: the file appears complete at once, so the time is all intake.
  const t0 = process.hrtime.bigint();
  fs.renameSync(src, path.join(dock, 'DEV01', 'bench.bin'));
  let seconds;
  for (;;) {
    await sleep(10);
    if (!fs.existsSync(catalog)) continue;
    const db = new Database(catalog, { readonly: true });
    const row = db.prepare('SELECT state FROM evidence LIMIT 1').get();
    db.close();
    if (row && row.state !== 'received') {
      // preserved = original + intake manifest archived and verified; then the dock file is deleted
      while (fs.existsSync(path.join(dock, 'DEV01', 'bench.bin'))) await sleep(5);
      seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      break;
    }
  }
  const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const hwmKiB = Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  fs.rmSync(dir, { recursive: true, force: true });
  return { seconds, rssMiB: hwmKiB / 1024 };
}

async function timeHash(src) {
  const { createHash } = await import('node:crypto');
  const t0 = process.hrtime.bigint();
  const h = createHash('sha256');
  for await (const c of fs.createReadStream(src, { highWaterMark: 4 * 1024 * 1024 })) h.update(c);
  h.digest();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function measureSize(mib, n) {
  sizeMiB = mib;
  const r = { cpSync: [], hashOnce: [], ours: [], rss: [] };
  for (let round = 0; round < n; round++) {
    const src = path.join(work, `source-${mib}-${round}.bin`);
    makeSource(src, `r${mib}-${round}`);
    const order = round % 2 === 0 ? ['floor', 'daemon'] : ['daemon', 'floor'];
    for (const which of order) {
      if (which === 'floor') {
        r.hashOnce.push(await timeHash(src));
        r.cpSync.push(timeCp(src, true));
      } else {
        const copy = `${src}.dock`;
        execFileSync('cp', [src, copy]);
        execFileSync('sync');
        const d = await timeDaemon(copy, `${mib}-${round}`);
        r.ours.push(d.seconds);
        r.rss.push(d.rssMiB);
      }
    }
    fs.rmSync(src, { force: true });
  }
  const floor = Math.max(median(r.cpSync), median(r.hashOnce));
  const fmt = (s) => `${s.toFixed(2)} s (${(mib / s).toFixed(0)} MiB/s)`;
  console.log(`bench/intake — ${mib} MiB, ${n} round(s), median`);
  console.log(`  cp && sync (durable copy)   ${fmt(median(r.cpSync))}`);
  console.log(`  one SHA-256 pass            ${fmt(median(r.hashOnce))}`);
  console.log(
    `  sealdock preserve phase     ${fmt(median(r.ours))}   (one-pass spool copy + SHA-256 + flush, catalog, archive link + one read-back, manifest sealed + archived, dock released)`,
  );
  console.log(`  ratio vs the floor          ${(median(r.ours) / floor).toFixed(2)}   (target ≤ 2)`);
  console.log(`  daemon peak RSS             ${Math.max(...r.rss).toFixed(0)} MiB   (target < 200 MB)`);
  return { mib, n, floor, ours: median(r.ours), rssMB: (Math.max(...r.rss) * 1024 * 1024) / 1e6 };
}

const figures = [];
for (const [i, mib] of sizes.entries()) {
  const m = await measureSize(mib, i === 0 ? rounds : 1);
  const label = mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
  figures.push(
    figure(
      `preserve ${label} on local (dock → archived, verified, released)`,
      m.ours,
      's',
      'max(cp && sync, one SHA-256 pass), same run',
      m.floor,
      m.ours / m.floor,
      '≤ 2× the floor',
      m.ours / m.floor <= 2,
    ),
    figure(
      `daemon peak RSS preserving ${label}`,
      m.rssMB,
      'MB',
      'none (absolute target)',
      null,
      null,
      '< 200 MB',
      m.rssMB < 200,
    ),
  );
}
fs.rmSync(work, { recursive: true, force: true });
emit('intake', figures, { rounds });
