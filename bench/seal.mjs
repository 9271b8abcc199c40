// Sealing one manifest: our CAdES-B-B path (pkijs structure, node:crypto signature on the thread pool)
// against, in the same run, (a) the node-forge PKCS#7 path sealdock used before and (b) a bare
// node:crypto sign of the same attribute bytes, the floor. Also how long the event loop is blocked
// while sealing (perf_hooks.monitorEventLoopDelay): other requests wait that long.
// Usage: npm run build && node bench/seal.mjs [rounds]   (default 200; a smoke run: 20)
import { sign as cryptoSign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import forge from 'node-forge';
import { loadDevSeal } from '../dist/seal/dev-seal.js';
import { createSealer } from '../dist/seal/sealer.js';

const rounds = Number(process.argv[2] ?? 200);
const dir = mkdtempSync(path.join(os.tmpdir(), 'sealdock-bench-seal-'));
const { material } = loadDevSeal({ devDir: path.join(dir, 'seal') });
const sealer = createSealer(material, {});

// A manifest of typical size (≈ 3 KB of canonical JSON with Chinese elements and probe data).
const manifest = Buffer.from(
  JSON.stringify({
    caseNumber: '（2026）湘行罚字第17号',
    collector: { id: '031245', name: '张三' },
    place: { text: '东街12号', lat: 32.35, lon: 106.83 },
    purpose: '证明当事人拒绝检查',
    media: { streams: Array.from({ length: 2 }, (_, i) => ({ index: i, codec: 'h264', tags: 'x'.repeat(600) })) },
    original: { sha256: 'a'.repeat(64), fileName: 'REC0001.MP4', size: 123456789 },
    pad: 'y'.repeat(1500),
  }),
);

// The previous sealdock signer (node-forge PKCS#7, RSA PKCS#1 v1.5), as the same-run baseline.
const forgeKey = forge.pki.privateKeyFromPem(material.key.export({ type: 'pkcs8', format: 'pem' }).toString());
const forgeCert = forge.pki.certificateFromPem(material.certificatePem);
function forgeSeal(content) {
  const p7 = forge.pkcs7.createSignedData();
  p7.content = forge.util.createBuffer(content.toString('binary'));
  p7.addCertificate(forgeCert);
  p7.addSigner({
    key: forgeKey,
    certificate: forgeCert,
    digestAlgorithm: forge.pki.oids.sha256,
    authenticatedAttributes: [
      { type: forge.pki.oids.contentType, value: forge.pki.oids.data },
      { type: forge.pki.oids.signingTime, value: new Date() },
      { type: forge.pki.oids.messageDigest },
    ],
  });
  p7.sign({ detached: true });
  return forge.asn1.toDer(p7.toAsn1()).getBytes();
}

// The floor: node:crypto signing ~300 bytes (the size of our signed attributes), same key and padding.
const attrs = Buffer.alloc(300, 1);
const bareSign = () =>
  new Promise((resolve, reject) =>
    cryptoSign('sha256', attrs, material.signer.signOptions, (e, s) => (e ? reject(e) : resolve(s))),
  );

async function measure(label, fn) {
  for (let i = 0; i < Math.min(10, rounds); i++) await fn(); // warm-up
  const times = [];
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    await new Promise((r) => setImmediate(r)); // let the delay monitor's timer run between seals
  }
  h.disable();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const p99 = times[Math.min(times.length - 1, Math.floor(times.length * 0.99))];
  // The histogram records how late the 1 ms timer fired: its max is the longest block of the loop.
  const blockMax = Math.max(0, h.max / 1e6 - 1);
  const blockP99 = Math.max(0, h.percentile(99) / 1e6 - 1);
  console.log(
    `${label.padEnd(40)} median ${median.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms  event-loop block max ${blockMax.toFixed(1)} ms (p99 ${blockP99.toFixed(1)} ms)`,
  );
  return { median, p99, blockMax, blockP99 };
}

console.log(
  `sealing a ${manifest.length}-byte manifest, RSA-${material.key.asymmetricKeyDetails.modulusLength}, ${rounds} rounds`,
);
const ours = await measure('sealdock seal (CAdES-B-B, node:crypto)', () => sealer.seal(manifest));
const forged = await measure('node-forge PKCS#7 (previous signer)', async () => forgeSeal(manifest));
const bare = await measure('bare crypto.sign (floor)', bareSign);
rmSync(dir, { recursive: true, force: true });

const r2 = (x) => Math.round(x * 100) / 100;
const figures = [
  {
    name: 'seal one manifest, median',
    value: r2(ours.median),
    unit: 'ms',
    baseline: 'node-forge PKCS#7 signer (previous), same run',
    baselineValue: r2(forged.median),
    ratio: r2(ours.median / forged.median),
    target: '≤ 5 ms',
    pass: ours.median <= 5,
  },
  {
    name: 'seal one manifest vs bare crypto.sign, median',
    value: r2(ours.median),
    unit: 'ms',
    baseline: 'bare node:crypto sign of the same size, same key',
    baselineValue: r2(bare.median),
    ratio: r2(ours.median / bare.median),
    target: '≤ 2× bare sign',
    pass: ours.median <= 2 * bare.median,
  },
  {
    // p99 rather than max: on a shared 2-core machine the max is set by the scheduler, not by us
    // (the bare sign's max in the same run shows that floor; both are printed above).
    name: 'event loop delay while sealing, p99',
    value: r2(ours.blockP99),
    unit: 'ms',
    baseline: 'bare crypto.sign on the thread pool, same run',
    baselineValue: r2(bare.blockP99),
    ratio: bare.blockP99 > 0 ? r2(ours.blockP99 / bare.blockP99) : null,
    target: '≤ 5 ms',
    pass: ours.blockP99 <= 5,
  },
  {
    name: 'event loop delay while sealing with the previous node-forge signer, p99',
    value: r2(forged.blockP99),
    unit: 'ms',
    baseline: 'sealdock seal (CAdES-B-B, node:crypto), same run',
    baselineValue: r2(ours.blockP99),
    ratio: ours.blockP99 > 0 ? r2(forged.blockP99 / ours.blockP99) : null,
    target: 'informational',
    pass: null,
  },
];
const machine = {
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  node: process.version,
  loadavg: os.loadavg().map(r2),
};
console.log(`BENCH_RESULT ${JSON.stringify({ bench: 'seal', figures, machine })}`);
