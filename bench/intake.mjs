// bench/intake: the Preserve phase of one large file (dock → spool with SHA-256 → catalog →
// local archive → verified → dock released), by the real daemon process, against `cp` of the
// same file on the same disk, measured in the same run, alternating order.
//
//   npm run build && node bench/intake.mjs [sizeMiB=1024] [rounds=3]
//
// Prints both times, the ratio, and the daemon's peak RSS (VmHWM). Target: ratio ≤ 1.3,
// RSS < 150 MB whatever the size.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sizeMiB = Number(process.argv[2] ?? 1024);
const rounds = Number(process.argv[3] ?? 3);
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

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
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
  for await (const c of fs.createReadStream(src, { highWaterMark: 1024 * 1024 })) h.update(c);
  h.digest();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const cp = [];
const cpSync = [];
const hashOnce = [];
const ours = [];
const rss = [];
for (let round = 0; round < rounds; round++) {
  const src = path.join(work, `source-${round}.bin`);
  makeSource(src, `round${round}`);
  const order = round % 2 === 0 ? ['cp', 'daemon'] : ['daemon', 'cp'];
  for (const which of order) {
    if (which === 'cp') {
      hashOnce.push(await timeHash(src));
      cp.push(timeCp(src, false));
      cpSync.push(timeCp(src, true));
    } else {
      const copy = `${src}.dock`;
      execFileSync('cp', [src, copy]);
      execFileSync('sync');
      const r = await timeDaemon(copy, round);
      ours.push(r.seconds);
      rss.push(r.rssMiB);
    }
  }
  fs.rmSync(src, { force: true });
}

const fmt = (s) => `${s.toFixed(2)} s (${(sizeMiB / s).toFixed(0)} MiB/s)`;
console.log(
  `bench/intake — ${sizeMiB} MiB, ${rounds} rounds, median; ${os.cpus().length} cores, node ${process.version}`,
);
console.log(`  cp                          ${fmt(median(cp))}`);
console.log(`  cp + sync (durable)         ${fmt(median(cpSync))}`);
console.log(
  `  sealdock preserve phase     ${fmt(median(ours))}   (spool copy + SHA-256, fsync, catalog, archive copy + fsync, re-hash verify, manifest sealed, dock released)`,
);
console.log(`  ratio vs cp                 ${(median(ours) / median(cp)).toFixed(2)}   (target ≤ 1.3)`);
console.log(`  ratio vs cp + sync          ${(median(ours) / median(cpSync)).toFixed(2)}`);
console.log(`  daemon peak RSS             ${Math.max(...rss).toFixed(0)} MiB   (target < 150 MB)`);
fs.rmSync(work, { recursive: true, force: true });
