// API bench: a 100,000-item catalog over ~2,000 cases; p50/p99 of a case listing and an evidence
// lookup over real HTTP on 127.0.0.1 (sequential and 8 concurrent), and Range streaming of a
// 256 MiB archived original through the API against archive.read of the same object, same run.
//   npm run build && node bench/api.mjs
// Env: BENCH_ROWS (100000), BENCH_CASES (2000), BENCH_REQUESTS (2000), BENCH_SIZE_MIB (256), BENCH_ROUNDS (3).
// Targets: listing p99 < 20 ms; API/direct streaming ≥ 0.8. Every request also writes its access
// audit row (synchronous=FULL), exactly as in production.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { stringify } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '..', 'dist');
const { openCatalog, catalogPath } = await import(path.join(dist, 'catalog/db.js'));
const { EvidenceRepo } = await import(path.join(dist, 'catalog/evidence-repo.js'));
const { DevicesRepo } = await import(path.join(dist, 'catalog/devices-repo.js'));
const { TokensRepo } = await import(path.join(dist, 'catalog/tokens-repo.js'));
const { loadConfig } = await import(path.join(dist, 'config/load.js'));
const { createArchive } = await import(path.join(dist, 'archive/index.js'));
const { IntakeService } = await import(path.join(dist, 'intake/intake-service.js'));
const { Spool } = await import(path.join(dist, 'intake/spool.js'));
const { buildApiServer } = await import(path.join(dist, 'api/server.js'));

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const CASES = Number(process.env.BENCH_CASES ?? 2000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const SIZE = Number(process.env.BENCH_SIZE_MIB ?? 256) * 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-bench-api-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const configFile = path.join(dir, 'sealdock.yaml');
fs.writeFileSync(
  configFile,
  stringify({
    dataDir: path.join(dir, 'data'),
    docks: [{ id: 'dock1', path: path.join(dir, 'dock'), layout: 'flat' }],
    archive: { local: { path: path.join(dir, 'archive') } },
    api: { port: 0, rateLimit: { max: 10_000_000, timeWindowMs: 60_000 } },
    log: { level: 'silent' },
  }),
);
const { config } = loadConfig({ file: configFile, env: {} });
const db = openCatalog(catalogPath(config.dataDir));
const repo = new EvidenceRepo(db);

// --- seed -------------------------------------------------------------------------------------
let t0 = performance.now();
const insert = db.prepare(
  `INSERT INTO evidence (id, sha256, size, original_name, dock_id, device_id, received_at, state, elements, element_sources, missing, manifest_rev, updated_at)
   VALUES (?, ?, ?, ?, 'dock1', ?, ?, 'archived', ?, ?, '[]', 2, ?)`,
);
const start = Date.parse('2026-01-01T00:00:00Z');
const ids = [];
db.transaction(() => {
  for (let i = 0; i < ROWS; i++) {
    const sha = createHash('sha256').update(`row ${i}`).digest('hex');
    const id = `ev-${sha.slice(0, 24)}`;
    ids.push(id);
    const at = new Date(start + i * 30_000).toISOString();
    const dev = `DEV${String(i % 300).padStart(3, '0')}`;
    const elements = {
      caseNumber: `A-2026-${String(i % CASES).padStart(5, '0')}`,
      recordedAt: { start: at.replace('Z', '+00:00'), durationSeconds: 600 },
      place: { text: '东街12号', lat: 32.35, lon: 106.83 },
      collector: { name: `警员${i % 500}`, id: String(100000 + (i % 500)) },
      purpose: '证明当事人拒绝检查',
    };
    insert.run(
      id,
      sha,
      300_000_000 + i,
      `${dev}_${i}.MP4`,
      dev,
      at,
      JSON.stringify(elements),
      JSON.stringify({
        caseNumber: 'sidecar',
        recordedAt: 'media',
        place: 'dock',
        collector: 'binding',
        purpose: 'sidecar',
      }),
      at,
    );
  }
})();
const seedSeconds = (performance.now() - t0) / 1000;

// --- one real 256 MiB archived original -------------------------------------------------------
const archive = await createArchive(config);
await archive.checkReady();
const bigFile = path.join(dir, 'big.bin');
let bigSha;
{
  const fd = fs.openSync(bigFile, 'w');
  const buf = Buffer.alloc(8 * 1024 * 1024);
  const hash = createHash('sha256');
  for (let n = 0; n < SIZE; n += buf.length) {
    randomFillSync(buf);
    fs.writeSync(fd, buf);
    hash.update(buf);
  }
  fs.closeSync(fd);
  bigSha = hash.digest('hex');
}
const bigId = ids[0];
const bigKey = `evidence/${bigId}/original/big.bin`;
await archive.put(
  bigKey,
  { path: bigFile },
  {
    sha256: bigSha,
    size: SIZE,
    contentType: 'application/octet-stream',
    retainUntil: new Date(Date.now() + 86400e3 * 183),
    legalHold: false,
  },
);
repo.archiveObjects.record({
  key: bigKey,
  evidenceId: bigId,
  kind: 'original',
  sha256: bigSha,
  size: SIZE,
  versionId: null,
  backendChecksum: null,
  retainUntil: null,
  legalHold: false,
});
fs.rmSync(bigFile);

// --- server ------------------------------------------------------------------------------------
const log = pino({ level: 'silent' });
const tokens = new TokensRepo(db, repo.audit);
const spool = new Spool(path.join(config.dataDir, 'spool'));
await spool.init();
const app = await buildApiServer({
  config,
  repo,
  devices: new DevicesRepo(db, repo.audit),
  tokens,
  archive,
  intake: new IntakeService({ repo, spool, config, log }),
  verifier: { verify: () => ({ ok: false, problems: ['not used in the bench'] }) },
  media: { checkTools: async () => ({}) },
  log,
  wake: () => undefined,
});
await app.listen({ host: '127.0.0.1', port: 0 });
const port = app.server.address().port;
const { token } = tokens.create({ role: 'auditor', label: 'bench' }, 'bench');
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const headers = { authorization: `Bearer ${token}`, 'x-access-reason': 'bench' };

function get(p, extra = {}, sink) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent, headers: { ...headers, ...extra } }, (res) => {
      let n = 0;
      res.on('data', (c) => {
        n += c.length;
        sink?.(c);
      });
      res.on('end', () => (res.statusCode < 300 ? resolve(n) : reject(new Error(`${p}: ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
async function latency(label, makePath, concurrency) {
  for (let i = 0; i < 50; i++) await get(makePath(i)); // warm-up
  const times = [];
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < REQUESTS) {
        const i = next++;
        const s = performance.now();
        await get(makePath(i));
        times.push(performance.now() - s);
      }
    }),
  );
  const wall = (performance.now() - t) / 1000;
  times.sort((a, b) => a - b);
  return { label, concurrency, p50: pct(times, 50), p99: pct(times, 99), rps: REQUESTS / wall };
}

const rnd = (n) => Math.floor(Math.random() * n);
const casePath = () => `/api/v1/cases/A-2026-${String(rnd(CASES)).padStart(5, '0')}/evidence`;
const idPath = () => `/api/v1/evidence/${ids[rnd(ids.length)]}`;
const results = [];
for (const c of [1, 8]) {
  results.push(await latency('case listing', casePath, c));
  results.push(await latency('evidence lookup', idPath, c));
}

// --- streaming ----------------------------------------------------------------------------------
async function direct() {
  const s = performance.now();
  let n = 0;
  for await (const c of await archive.read(bigKey, { start: 0, end: SIZE - 1 })) n += c.length;
  if (n !== SIZE) throw new Error('short direct read');
  return SIZE / ((performance.now() - s) / 1000);
}
// The HTTP client runs in its own process, as a real client would: in this process it would
// compete with the server for the one event loop and measure that instead.
const CLIENT = `
const http = require('node:http');
const [port, p, auth, range] = process.argv.slice(1);
const s = performance.now();
http.get({ host: '127.0.0.1', port, path: p, headers: { authorization: auth, 'x-access-reason': 'bench', range } }, (res) => {
  let n = 0;
  res.on('data', (c) => (n += c.length));
  res.on('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, n, ms: performance.now() - s })));
});`;
const useCurl = (process.env.BENCH_CLIENT ?? 'curl') === 'curl' && spawnSync('curl', ['--version']).status === 0;
async function viaApi() {
  if (useCurl) {
    const child = spawn('curl', [
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code} %{size_download} %{time_total}',
      '-H',
      `authorization: ${headers.authorization}`,
      '-H',
      'x-access-reason: bench',
      '-H',
      `range: bytes=0-${SIZE - 1}`,
      `http://127.0.0.1:${port}/api/v1/evidence/${bigId}/original`,
    ]);
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    await new Promise((resolve) => child.on('exit', resolve));
    const [status, n, secs] = out.trim().split(' ').map(Number);
    if (status !== 206 || n !== SIZE) throw new Error(`API read: ${out}`);
    return SIZE / secs;
  }
  const child = spawn(process.execPath, [
    '-e',
    CLIENT,
    String(port),
    `/api/v1/evidence/${bigId}/original`,
    headers.authorization,
    `bytes=0-${SIZE - 1}`,
  ]);
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  await new Promise((resolve) => child.on('exit', resolve));
  const r = JSON.parse(out);
  if (r.status !== 206 || r.n !== SIZE) throw new Error(`API read: ${out}`);
  return SIZE / (r.ms / 1000);
}
const d = [];
const a = [];
for (let r = 0; r < ROUNDS; r++) {
  // alternate the order so the page cache favours neither
  if (r % 2 === 0) {
    d.push(await direct());
    a.push(await viaApi());
  } else {
    a.push(await viaApi());
    d.push(await direct());
  }
}
const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const MiBs = (bps) => (bps / 1024 / 1024).toFixed(0);

await app.close();
agent.destroy();
db.close();

console.log(
  `\nsealdock API bench — ${ROWS} rows over ${CASES} cases seeded in ${seedSeconds.toFixed(1)} s; ${REQUESTS} requests per line; node ${process.version}, ${os.cpus().length} CPUs\n`,
);
console.log('request            conc   p50 ms   p99 ms    req/s');
for (const r of results)
  console.log(
    `${r.label.padEnd(18)} ${String(r.concurrency).padStart(4)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${r.rps.toFixed(0).padStart(8)}`,
  );
const listP99 = Math.max(...results.filter((r) => r.label === 'case listing' && r.concurrency === 1).map((r) => r.p99));
console.log(
  `\ncase listing p99 (sequential): ${listP99.toFixed(2)} ms — target < 20 ms: ${listP99 < 20 ? 'MET' : 'MISSED'}`,
);
console.log(`\nRange streaming of ${SIZE / 1024 / 1024} MiB (median of ${ROUNDS}, local archive, page cache warm):`);
console.log(`  archive.read direct   ${MiBs(med(d))} MiB/s   (runs: ${d.map(MiBs).join(', ')})`);
console.log(
  `  GET …/original Range  ${MiBs(med(a))} MiB/s   (runs: ${a.map(MiBs).join(', ')}; client: ${useCurl ? 'curl' : 'node'}, own process)`,
);
const ratio = med(a) / med(d);
console.log(`  ratio API/direct      ${ratio.toFixed(2)} — target ≥ 0.8: ${ratio >= 0.8 ? 'MET' : 'MISSED'}\n`);
