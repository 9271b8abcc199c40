// API bench at catalog scale (issue 9): BENCH_ROWS evidence rows (default 1,000,000) seeded with
// direct inserts in one transaction, then, over real HTTP on 127.0.0.1 with autocannon in its own
// process (50 connections):
//   - GET /api/v1/evidence/{id} with every access audited and durable (group commit,
//     synchronous=FULL), against a bare fastify route answering the same JSON in the same run;
//   - one item read 3,000 times before the run against a fresh one;
//   - ?state= and ?collector= page walks (keyset cursor, 100 a page), per-page p99;
//   - `sealdock report --year` (the CLI, a process of its own) and the same query in process;
//   - Range streaming of an archived original through the API against archive.read.
//   npm run build && node bench/api.mjs
// Env: BENCH_ROWS (1000000), BENCH_SECONDS (10, per autocannon run), BENCH_WARMUP_SECONDS (3, once
//      per route before its measured run), BENCH_CONNECTIONS (50),
//      BENCH_SIZE_MIB (256), BENCH_ROUNDS (3), BENCH_PAGES (200 per walk).
// Prints figures; the last line is BENCH_RESULT <json> (see HELPERS.md). No assertions.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { pino } from 'pino';
import { stringify } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const dist = path.join(root, 'dist');
const { openCatalog, catalogPath } = await import(path.join(dist, 'catalog/db.js'));
const { startCheckpointer } = await import(path.join(dist, 'catalog/checkpointer.js'));
const { EvidenceRepo } = await import(path.join(dist, 'catalog/evidence-repo.js'));
const { DevicesRepo } = await import(path.join(dist, 'catalog/devices-repo.js'));
const { TokensRepo } = await import(path.join(dist, 'catalog/tokens-repo.js'));
const { loadConfig } = await import(path.join(dist, 'config/load.js'));
const { createArchive } = await import(path.join(dist, 'archive/index.js'));
const { IntakeService } = await import(path.join(dist, 'intake/intake-service.js'));
const { Spool } = await import(path.join(dist, 'intake/spool.js'));
const { buildApiServer } = await import(path.join(dist, 'api/server.js'));

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SIZE = Number(process.env.BENCH_SIZE_MIB ?? 256) * 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PAGES = Number(process.env.BENCH_PAGES ?? 200);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const HOT_READS = 3000;
const COLLECTORS = 500;
const YEAR = 2026;
const r2 = (x) => Math.round(x * 100) / 100;
const loadAtStart = os.loadavg().map(r2);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-bench-api-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
const configFile = path.join(dir, 'sealdock.yaml');
fs.writeFileSync(
  configFile,
  stringify({
    dataDir: path.join(dir, 'data'),
    docks: [{ id: 'dock1', path: path.join(dir, 'dock'), layout: 'flat' }],
    archive: { local: { path: path.join(dir, 'archive') } },
    api: { port: 0, rateLimit: { max: 100_000_000, timeWindowMs: 60_000 } },
    log: { level: 'silent' },
  }),
);
const { config } = loadConfig({ file: configFile, env: {} });
const db = openCatalog(catalogPath(config.dataDir));
const repo = new EvidenceRepo(db);

// --- seed: direct inserts in one transaction (the bench's own SQL, not the product's) ----------
// A year of intake spread evenly; states as a settled catalog has them: nearly all archived.
let t0 = performance.now();
const insert = db.prepare(
  `INSERT INTO evidence (id, sha256, size, original_name, dock_id, device_id, received_at, state, resume_state, stage,
     elements, element_sources, missing, manifest_rev, legal_hold, updated_at)
   VALUES (?, ?, ?, ?, 'dock1', ?, ?, ?, ?, ?, ?, ?, ?, 2, ?, ?)`,
);
const start = Date.parse(`${YEAR}-01-01T00:00:00Z`);
const step = (365 * 86_400_000) / ROWS;
const ids = new Array(ROWS);
const sources = JSON.stringify({
  caseNumber: 'sidecar',
  recordedAt: 'media',
  place: 'dock',
  collector: 'binding',
  purpose: 'sidecar',
});
const stateOf = (i) =>
  i % 1000 === 1 ? 'failed' : i % 1000 === 2 ? 'awaiting-annotation' : i % 500 === 3 ? 'deriving' : 'archived';
db.transaction(() => {
  for (let i = 0; i < ROWS; i++) {
    const sha = createHash('sha256').update(`row ${i}`).digest('hex');
    const id = `ev-${sha.slice(0, 24)}`;
    ids[i] = id;
    const at = new Date(start + Math.floor(i * step)).toISOString();
    const dev = `DEV${String(i % 300).padStart(3, '0')}`;
    const state = stateOf(i);
    const awaiting = state === 'awaiting-annotation';
    const elements = {
      ...(awaiting ? {} : { caseNumber: `A-${YEAR}-${String(i % 20_000).padStart(5, '0')}` }),
      recordedAt: { start: at.replace('Z', '+00:00'), durationSeconds: 600 },
      place: { text: '东街12号', lat: 32.35, lon: 106.83 },
      collector: { name: `警员${i % COLLECTORS}`, id: String(100000 + (i % COLLECTORS)) },
      purpose: '证明当事人拒绝检查',
    };
    insert.run(
      id,
      sha,
      300_000_000 + i,
      `${dev}_${i}.MP4`,
      dev,
      at,
      state,
      state === 'failed' ? 'sealed' : null,
      state === 'failed' ? 'archive' : null,
      JSON.stringify(elements),
      sources,
      awaiting ? '["caseNumber"]' : '[]',
      i % 997 === 0 ? 1 : 0,
      at,
    );
  }
}).immediate();
const seedSeconds = (performance.now() - t0) / 1000;

// The hot item: read HOT_READS times already (access rows as the API writes them).
const hotId = ids[Math.floor(ROWS / 2)];
const freshId = ids[Math.floor(ROWS / 2) + 1];
db.transaction(() => {
  repo.audit.append({ actor: 'daemon', action: 'received', evidenceId: hotId, details: {} });
  for (let i = 0; i < HOT_READS; i++)
    repo.audit.append({
      actor: 'token:seed',
      action: 'access',
      evidenceId: hotId,
      details: { what: 'detail', method: 'GET', status: 200 },
    });
  repo.audit.append({ actor: 'daemon', action: 'archived', evidenceId: hotId, details: {} });
})();
db.pragma('wal_checkpoint(TRUNCATE)');
// No ANALYZE: the daemon never runs it, so a real catalog has no statistics (its queries are
// written to use their indexes without, and test/api/scale.test.ts checks each plan). This
// SQLite is built with STAT4: with the sqlite_stat4 samples ANALYZE leaves, a statement whose
// plan could depend on a bound value is compiled again whenever the value changes, so every
// request recompiled its lookups (measured: 228 us of server CPU per answer instead of 177).

// --- one real archived original for Range streaming ------------------------------------------------
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

// --- servers: sealdock's API, and a bare fastify route (the ceiling) ---------------------------------
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
  requestDerivation: () => ({ status: 'none', state: 'archived' }),
});
// The daemon checkpoints the catalog's WAL from a thread of its own (catalog/checkpointer.ts).
const checkpointer = process.env.NO_CKPT ? null : startCheckpointer(db);
await app.listen({ host: '127.0.0.1', port: 0 });
const port = app.server.address().port;
const { token } = tokens.create({ role: 'auditor', label: 'bench' }, 'bench');
const auth = `Bearer ${token}`;

// Same answer shape and size as the real route, from a constant: HTTP + JSON and nothing else.
const sample = await (
  await fetch(`http://127.0.0.1:${port}/api/v1/evidence/${freshId}`, { headers: { authorization: auth } })
).text();
const bare = Fastify({ logger: false });
bare.get('/bare/:id', async (_request, reply) => reply.type('application/json; charset=utf-8').send(sample));
await bare.listen({ host: '127.0.0.1', port: 0 });
const barePort = bare.server.address().port;

// autocannon in a process of its own: in this one it would compete with the server for the event loop.
const LOAD = `
const autocannon = require('autocannon');
const [origin, pathTemplate, auth, idsFile, seconds, connections] = process.argv.slice(1);
const ids = require('node:fs').readFileSync(idsFile, 'utf8').split('\\n').filter(Boolean);
let i = 0;
autocannon({
  url: origin,
  connections: Number(connections),
  duration: Number(seconds),
  headers: { authorization: auth },
  requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: pathTemplate.replace('{id}', ids[i++ % ids.length]) }) }],
}, (err, r) => {
  if (err) throw err;
  process.stdout.write(JSON.stringify({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, total: r.requests.total }));
});`;
const idsFile = path.join(dir, 'ids.txt');
const shuffled = Array.from({ length: Math.min(ROWS, 100_000) }, () => ids[Math.floor(Math.random() * ROWS)]);
fs.writeFileSync(idsFile, shuffled.join('\n'));
// The server's process holds no list of a million ids in production: drop the seed's, or every
// full garbage collection of the runs below would trace them too (pauses of up to 48–63 ms were
// measured with them in this process, up to 5–21 ms without).
ids.length = 0;
shuffled.length = 0;
const oneId = (id) => {
  const f = path.join(dir, `id-${id}.txt`);
  fs.writeFileSync(f, id);
  return f;
};
async function load(url, file, authHeader = auth, seconds = SECONDS) {
  const { origin } = new URL(url);
  const pathTemplate = url.slice(origin.length);
  const args = ['-e', LOAD, origin, pathTemplate, authHeader, file, String(seconds), String(CONNECTIONS)];
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  await new Promise((resolve) => child.on('exit', resolve));
  const r = JSON.parse(out);
  if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r;
}

// Both servers warm up alike before they are measured (JIT, the catalog's page cache, the first
// WAL growth): a daemon answers auditors for hours, and its first seconds are not its steady state.
await load(`http://127.0.0.1:${barePort}/bare/{id}`, idsFile, auth, WARMUP_SECONDS);
await load(`http://127.0.0.1:${port}/api/v1/evidence/{id}`, idsFile, auth, WARMUP_SECONDS);
const lastSeq = () => db.prepare('SELECT MAX(seq) AS s FROM audit_log').get().s;
const auditedBefore = lastSeq();
const commitsBefore = repo.audit.groupCommits;
// CPU of this process per answer: less at the mercy of other load on the machine than req/s.
const cpuPerAnswer = async (url, file) => {
  const before = process.cpuUsage();
  const r = await load(url, file);
  const used = process.cpuUsage(before);
  return { ...r, cpuUs: (used.user + used.system) / r.total };
};
const bareRun = await cpuPerAnswer(`http://127.0.0.1:${barePort}/bare/{id}`, idsFile);
const apiRun = await cpuPerAnswer(`http://127.0.0.1:${port}/api/v1/evidence/{id}`, idsFile);
const auditedDuring = lastSeq() - auditedBefore;
const commitsDuring = repo.audit.groupCommits - commitsBefore;
const chain = repo.audit.verify();
const freshRun = await load(`http://127.0.0.1:${port}/api/v1/evidence/{id}`, oneId(freshId));
const hotRun = await load(`http://127.0.0.1:${port}/api/v1/evidence/{id}`, oneId(hotId));

// --- page walks: one walker, cursor to cursor, per-page latency ---------------------------------------
async function walk(query) {
  const times = [];
  let cursor = null;
  let items = 0;
  for (let p = 0; p < PAGES; p++) {
    const s = performance.now();
    const res = await fetch(
      `http://127.0.0.1:${port}/api/v1/evidence?${query}&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
      { headers: { authorization: auth } },
    );
    const text = await res.text();
    times.push(performance.now() - s);
    if (res.status !== 200) throw new Error(`${query}: ${res.status} ${text}`);
    const body = JSON.parse(text);
    items += body.items.length;
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  times.sort((a, b) => a - b);
  return {
    pages: times.length,
    items,
    p50: times[Math.floor(times.length / 2)],
    p99: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))],
  };
}
const walks = {
  'state=archived': await walk('state=archived'),
  'state=failed': await walk('state=failed'),
  [`collector=警员7`]: await walk(`collector=${encodeURIComponent('警员7')}`),
  'collector=100042 (badge id)': await walk('collector=100042'),
};

// --- report --year ------------------------------------------------------------------------------------
t0 = performance.now();
const inProcess = await repo.reports.year(YEAR);
const reportQuerySeconds = (performance.now() - t0) / 1000;
t0 = performance.now();
const cli = spawnSync(
  process.execPath,
  [path.join(root, 'bin/sealdock.js'), '--config', configFile, 'report', '--year', String(YEAR), '--json'],
  {
    encoding: 'utf8',
  },
);
const reportCliSeconds = (performance.now() - t0) / 1000;
if (cli.status !== 0) throw new Error(`report: ${cli.stderr}`);
if (JSON.parse(cli.stdout).items !== inProcess.items) throw new Error('report: CLI and in-process figures differ');
t0 = performance.now();
spawnSync(process.execPath, ['-e', '0']);
const nodeStartSeconds = (performance.now() - t0) / 1000;

// --- Range streaming ------------------------------------------------------------------------------------
async function direct() {
  const s = performance.now();
  let n = 0;
  for await (const c of await archive.read(bigKey, { start: 0, end: SIZE - 1 })) n += c.length;
  if (n !== SIZE) throw new Error('short direct read');
  return SIZE / ((performance.now() - s) / 1000);
}
async function viaApi() {
  const child = spawn('curl', [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{size_download} %{time_total}',
    '-H',
    `authorization: ${auth}`,
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
// For reference only (not the target's baseline): positioned reads of the same file into reused
// buffers, no stream, no socket: what the disk cache gives at best.
async function rawReused() {
  const file = await archive.openFile(bigKey);
  const bufs = [Buffer.allocUnsafeSlow(1 << 20), Buffer.allocUnsafeSlow(1 << 20)];
  const s = performance.now();
  let n = 0;
  for (let p = 0, i = 0; p < SIZE; p += 1 << 20, i++) n += await file.read(bufs[i % 2], 1 << 20, p);
  await file.close();
  if (n !== SIZE) throw new Error('short raw read');
  return SIZE / ((performance.now() - s) / 1000);
}
// curl reading to /dev/null is the fastest honest client; the direct baseline never leaves the process.
const d = [];
const a = [];
const raw = [];
for (let r = 0; r < ROUNDS; r++) {
  // alternate the order so the page cache favours neither
  if (r % 2 === 0) {
    d.push(await direct());
    a.push(await viaApi());
  } else {
    a.push(await viaApi());
    d.push(await direct());
  }
  raw.push(await rawReused());
}
const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const MiBs = (bps) => bps / 1024 / 1024;

await app.close();
await bare.close();
await checkpointer?.stop();
db.close();
const loadAtEnd = os.loadavg().map(r2);

// --- figures ------------------------------------------------------------------------------------------
console.log(
  `\nsealdock API bench — ${ROWS.toLocaleString('en')} catalog rows seeded in ${seedSeconds.toFixed(1)} s; autocannon ${CONNECTIONS} connections × ${SECONDS} s; node ${process.version}, ${os.cpus().length} CPUs; load average ${loadAtStart.join(' ')} at start, ${loadAtEnd.join(' ')} at end\n`,
);
console.log('GET one item            req/s      p50 ms  p99 ms');
for (const [label, r] of [
  ['bare fastify route', bareRun],
  ['GET /evidence/{id}', apiRun],
  [`fresh item`, freshRun],
  [`item read ${HOT_READS}×`, hotRun],
])
  console.log(
    `${label.padEnd(22)} ${r.rps.toFixed(0).padStart(7)} ${String(r.p50).padStart(10)} ${String(r.p99).padStart(7)}`,
  );
console.log(
  `\nCPU of the server process per answer: bare route ${bareRun.cpuUs.toFixed(0)} µs, GET /evidence/{id} ${apiRun.cpuUs.toFixed(0)} µs (everything included: HTTP, auth, queries, audit row, commit)`,
);
console.log(
  `\naccess rows written during the ${SECONDS} s API run: ${auditedDuring} for ${apiRun.total} answers (every answer audited, durable before it was sent) in ${commitsDuring} commits (${(auditedDuring / Math.max(commitsDuring, 1)).toFixed(1)} rows per fsync); chain intact: ${chain.ok}`,
);
console.log('\npage walk (100 a page)        pages   items   p50 ms  p99 ms');
for (const [q, w] of Object.entries(walks))
  console.log(
    `${q.padEnd(28)} ${String(w.pages).padStart(6)} ${String(w.items).padStart(7)} ${w.p50.toFixed(2).padStart(8)} ${w.p99.toFixed(2).padStart(7)}`,
  );
console.log(
  `\nreport --year ${YEAR}: ${reportCliSeconds.toFixed(2)} s for the CLI (node itself starts in ${nodeStartSeconds.toFixed(2)} s), ${reportQuerySeconds.toFixed(2)} s for the queries in process; ${inProcess.items} items`,
);
console.log(`\nRange streaming of ${SIZE / 1024 / 1024} MiB (median of ${ROUNDS}, local archive, page cache warm):`);
console.log(
  `  archive.read direct   ${MiBs(med(d)).toFixed(0)} MiB/s   (runs: ${d.map((x) => MiBs(x).toFixed(0)).join(', ')})`,
);
console.log(
  `  GET …/original Range  ${MiBs(med(a)).toFixed(0)} MiB/s   (runs: ${a.map((x) => MiBs(x).toFixed(0)).join(', ')}; curl, own process)`,
);
console.log(
  `  (reference: positioned reads into 2 reused buffers, no stream, no socket: ${MiBs(med(raw)).toFixed(0)} MiB/s; runs: ${raw.map((x) => MiBs(x).toFixed(0)).join(', ')})`,
);

const walkP99 = (prefix) =>
  Math.max(
    ...Object.entries(walks)
      .filter(([q]) => q.startsWith(prefix))
      .map(([, w]) => w.p99),
  );
const stateP99 = walkP99('state=');
const collectorP99 = walkP99('collector=');
const streamRatio = med(a) / med(d);
const figures = [
  {
    name: `GET /api/v1/evidence/{id}, ${CONNECTIONS} connections, every access audited and durable`,
    value: r2(apiRun.rps),
    unit: 'req/s',
    baseline: 'bare fastify route answering the same JSON, same run',
    baselineValue: r2(bareRun.rps),
    ratio: r2(apiRun.rps / bareRun.rps),
    target: '≥ 5000 req/s',
    pass: apiRun.rps >= 5000,
  },
  {
    name: `GET /api/v1/evidence/{id} p99, ${CONNECTIONS} connections`,
    value: apiRun.p99,
    unit: 'ms',
    baseline: 'bare fastify route p99, same run',
    baselineValue: bareRun.p99,
    ratio: bareRun.p99 > 0 ? r2(apiRun.p99 / bareRun.p99) : null,
    target: '< 20 ms',
    pass: apiRun.p99 < 20,
  },
  {
    name: `GET of an item read ${HOT_READS} times, req/s`,
    value: r2(hotRun.rps),
    unit: 'req/s',
    baseline: 'a fresh item, same run',
    baselineValue: r2(freshRun.rps),
    ratio: r2(hotRun.rps / freshRun.rps),
    target: 'as fast as a fresh one (≥ 0.8×)',
    pass: hotRun.rps >= 0.8 * freshRun.rps,
  },
  {
    name: '?state= page walk, per-page p99 (100 a page)',
    value: r2(stateP99),
    unit: 'ms',
    baseline: 'none',
    baselineValue: null,
    ratio: null,
    target: '< 20 ms',
    pass: stateP99 < 20,
  },
  {
    name: '?collector= page walk, per-page p99 (100 a page)',
    value: r2(collectorP99),
    unit: 'ms',
    baseline: 'none',
    baselineValue: null,
    ratio: null,
    target: '< 20 ms',
    pass: collectorP99 < 20,
  },
  {
    name: `sealdock report --year (CLI process, ${ROWS} rows)`,
    value: r2(reportCliSeconds),
    unit: 's',
    baseline: 'node -e 0 (process start), same run',
    baselineValue: r2(nodeStartSeconds),
    ratio: r2(reportCliSeconds / nodeStartSeconds),
    target: '< 1 s',
    pass: reportCliSeconds < 1,
  },
  {
    name: `Range streaming of a ${SIZE / 1024 / 1024} MiB original through the API`,
    value: r2(MiBs(med(a))),
    unit: 'MiB/s',
    baseline: 'archive.read of the same object, same run',
    baselineValue: r2(MiBs(med(d))),
    ratio: r2(streamRatio),
    target: '≥ 0.8×',
    pass: streamRatio >= 0.8,
  },
];
const machine = {
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  node: process.version,
  rows: ROWS,
  loadavg: loadAtEnd,
  loadavgAtStart: loadAtStart,
};
console.log(`BENCH_RESULT ${JSON.stringify({ bench: 'api', figures, machine })}`);
