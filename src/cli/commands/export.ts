// `sealdock export --case N --out DIR --reason R`: a court package that checks itself offline with
// openssl and coreutils (or busybox), failing closed. Every file is copied from the archive (the
// system of record) and hashed on the way; the sealed index says how, when, by whom and why it was
// made and seals the file list; the items' custody and access record travels with its sealed segments.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash, X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { createArchive } from '../../archive/index.js';
import type { PinnedObject, PinnedReader } from '../../archive/pinned.js';
import { pinnedReaderFor } from '../../audit/alarms.js';
import { sealConfigOf } from '../../config/adapters.js';
import { SealdockError, errorMessage } from '../../errors.js';
import { createLogger } from '../../logging.js';
import { devSealFiles } from '../../seal/dev-seal.js';
import { createSealService, parseManifest } from '../../seal/index.js';
import { archiveKeys } from '../../archive/keys.js';
import { segmentLine } from '../../usecases/audit-segments.js';
import { ensureAuditSealed } from '../audit-tail.js';
import { sha256Hex } from '../../util/hash.js';
import { SEALDOCK_VERSION } from '../../util/version.js';
import { nowIso } from '../../util/time.js';
import { cliActor, cliConfig, openCatalogFor, type GlobalOptions } from '../context.js';
import { EXIT_VERIFY_FAILED } from '../exit-codes.js';
import { printJson, printLines } from '../output.js';

/** One object, the version the catalog recorded, checked on the way (a mismatch is an alarm, and no file). */
async function copyOut(
  reader: PinnedReader,
  obj: PinnedObject,
  dest: string,
): Promise<{ sha256: string; size: number }> {
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(
      await reader.open(obj, { reader: 'export' }),
      tap,
      fs.createWriteStream(dest, { flags: 'wx', mode: 0o444 }),
    );
  } catch (err) {
    await fsp.rm(dest, { force: true });
    throw err;
  }
  return { sha256: hash.digest('hex'), size };
}

// verify.sh ships in the repository as a plain shell file (scripts/), so it can be read and linted
// as what it is; dist/cli/commands and src/cli/commands are both three levels below the root.
const VERIFY_SH_FILE = fileURLToPath(new URL('../../../scripts/court-package-verify.sh', import.meta.url));

const README_EN = (p: { caseNumber: string; items: number; madeBy: string; madeAt: string; reason: string }) =>
  `sealdock court package — case ${p.caseNumber}
${p.items} item(s), made by ${p.madeBy} at ${p.madeAt}, reason: ${p.reason}.

What is in it
  export.json (+ .p7s)   the sealed index: how, when, by whom and why this copy was made, every
                         item, and the SHA-256 of SHA256SUMS (so the file list is sealed too)
  SHA256SUMS             every other file with its SHA-256
  evidence/<id>/         original/ (byte copy of the untouched original), manifest/<rev>.json with
                         its seal (.p7s, CAdES) and time-stamp (.tsr), derivative/<rev>.mp4
  audit/records.jsonl    the custody and access record of these items (one audit row a line)
  audit/segments/        the sealed audit-log segments that contain those rows
  ca/seal/, ca/tsa/      the CA certificates the seals and time-stamps are checked against

How to check it (offline; needs only openssl and coreutils or busybox)
  sh verify.sh
It prints every check and "PACKAGE VERIFIED" only if all of them ran and passed. Then compare the
CA fingerprint it prints with the one the agency gives you by another channel: verify.sh proves
the package is unchanged since it was sealed by whoever holds that CA, not who that is.
`;

const README_ZH = (p: { caseNumber: string; items: number; madeBy: string; madeAt: string; reason: string }) =>
  `sealdock 证据导出包 — 案件编号 ${p.caseNumber}
共 ${p.items} 条音像记录；制作人 ${p.madeBy}，制作时间 ${p.madeAt}，调取事由：${p.reason}。

包内内容
  export.json（及 .p7s）  加盖电子印章的索引：本副本的制作方法、时间、制作人和事由，全部条目，
                          以及 SHA256SUMS 的 SHA-256（文件清单因此同样受印章保护）
  SHA256SUMS             其余每个文件的 SHA-256
  evidence/<编号>/        original/ 原始文件的逐字节副本；manifest/<版本>.json 及其电子印章（.p7s，CAdES）
                          和时间戳（.tsr）；derivative/<版本>.mp4 播放副本
  audit/records.jsonl    这些条目的保管与调阅记录（每行一条审计记录）
  audit/segments/        包含上述记录、已加盖印章的审计日志分段
  ca/seal/、ca/tsa/      校验印章和时间戳所用的 CA 证书

如何校验（可离线，只需 openssl 和 coreutils 或 busybox）
  sh verify.sh
脚本逐项列出每一项检查，只有全部检查都已执行且通过时才显示 "PACKAGE VERIFIED"。
请再通过其他渠道（电话、公函）向出具机关核对脚本打印的 CA 证书指纹：verify.sh 只能证明
本包自盖章后未被改动，不能证明盖章者是谁。
`;

function splitPems(file: string): string[] {
  return fs.readFileSync(file, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** One certificate per file (verify.sh prints each one's fingerprint), deduplicated. */
function writeCas(dir: string, files: string[]): number {
  fs.mkdirSync(dir, { recursive: true });
  const seen = new Set<string>();
  for (const pem of files.flatMap(splitPems)) {
    const cert = new X509Certificate(pem);
    if (seen.has(cert.fingerprint256)) continue;
    seen.add(cert.fingerprint256);
    fs.writeFileSync(path.join(dir, `${String(seen.size).padStart(2, '0')}.pem`), `${pem}\n`, { mode: 0o444 });
  }
  return seen.size;
}

export function registerExport(program: Command, globals: () => GlobalOptions): void {
  program
    .command('export')
    .description('a court package of one case that verifies itself offline (openssl + coreutils or busybox)')
    .requiredOption('--case <caseNumber>', 'the case number')
    .requiredOption('--out <dir>', 'a new (or empty) folder for the package')
    .requiredOption('--reason <text>', 'why (e.g. the court order): audited and sealed into the package')
    .option('--json', 'machine-readable output')
    .action(async (o: { case: string; out: string; reason: string; json?: boolean }) => {
      if (o.reason.trim() === '') throw new SealdockError('USAGE', '--reason must say why the package is made');
      const out = path.resolve(o.out);
      if (fs.existsSync(out) && fs.readdirSync(out).length > 0) throw new SealdockError('USAGE', `${out} is not empty`);
      const config = cliConfig(globals());
      const cat = openCatalogFor(config);
      const archive = await createArchive(config);
      const actor = cliActor();
      const reader = pinnedReaderFor(archive, { repo: cat.repo, log: createLogger('error') }, actor);
      const cfg = sealConfigOf(config);
      const seal = createSealService(cfg, createLogger('silent'));
      try {
        const items = [...cat.repo.iterate({ caseNumber: o.case })];
        if (items.length === 0) throw new SealdockError('NOT_FOUND', `no evidence for case ${JSON.stringify(o.case)}`);
        await fsp.mkdir(out, { recursive: true });
        const listed: { rel: string; sha256: string }[] = [];
        const problems: string[] = [];
        // The version the catalog recorded, checked on the way; a mismatch is a problem (and an alarm),
        // the file is left out, and the package then fails its own check.
        const copy = async (obj: PinnedObject, rel: string) => {
          try {
            const got = await copyOut(reader, obj, path.join(out, ...rel.split('/')));
            listed.push({ rel, sha256: got.sha256 });
            return got;
          } catch (err) {
            problems.push(`${obj.key}: ${errorMessage(err)}`);
            return undefined;
          }
        };
        const copyKey = async (key: string, rel: string) => {
          const obj = cat.repo.archiveObjects.byKey(key);
          if (obj) return copy(obj, rel);
          problems.push(`${key}: not recorded in the catalog`);
          return undefined;
        };
        const index = [];
        let manifests = 0;
        let derivativeRefs = 0;
        let timestamps = 0;
        for (const item of items) {
          const files = [];
          for (const obj of cat.repo.archiveObjects.ofItem(item.id)) {
            const rel = obj.key; // evidence/<id>/…: the archive layout, already safe as a path
            const got = await copy(obj, rel);
            if (!got) continue;
            files.push({ path: rel, kind: obj.kind, sha256: got.sha256, size: got.size });
            if (obj.kind === 'manifest') manifests++;
            if (obj.kind === 'timestamp') timestamps++;
          }
          // Each revision that carries a derivative is checked against it.
          for (const f of files.filter((x) => x.kind === 'manifest')) {
            const m = parseManifest(fs.readFileSync(path.join(out, ...f.path.split('/'))));
            if (m.derivative) derivativeRefs++;
          }
          index.push({
            id: item.id,
            state: item.state,
            originalName: item.originalName,
            sha256: item.sha256,
            elements: item.elements,
            manifestRevision: item.manifestRev,
            files,
          });
        }

        // The custody and access record of these items, and the sealed segments that hold it.
        const rows = items.flatMap((item) => cat.repo.audit.listAll({ evidenceId: item.id }));
        const maxSeq = rows.reduce((m, r) => Math.max(m, r.seq), 0);
        await ensureAuditSealed(config, cat, archive, seal, maxSeq);
        const records = rows.sort((a, b) => a.seq - b.seq).map((r) => `${segmentLine(r)}\n`);
        fs.mkdirSync(path.join(out, 'audit', 'segments'), { recursive: true });
        fs.writeFileSync(path.join(out, 'audit', 'records.jsonl'), records.join(''), { mode: 0o444 });
        listed.push({ rel: 'audit/records.jsonl', sha256: sha256Hex(Buffer.from(records.join(''))) });
        const seqs = rows.map((r) => r.seq);
        const segments = cat.repo.auditSegments
          .list()
          .filter((s) => seqs.some((q) => q >= s.firstSeq && q <= s.lastSeq));
        for (const s of segments) {
          const rel = `audit/segments/${s.name}.jsonl`;
          await copyKey(archiveKeys.auditSegment(s.name), rel);
          await copyKey(archiveKeys.auditSignature(s.name), `${rel}.p7s`);
          const tsr = `${archiveKeys.auditSegment(s.name)}.tsr`;
          if (cat.repo.archiveObjects.byKey(tsr)) {
            await copyKey(tsr, `${rel}.tsr`);
            timestamps++;
          }
        }

        // Trust anchors: the configured CAs and, if used, the development CA; the TSA's CAs.
        const cas = [...(cfg.trustedCaFiles ?? []), ...(config.seal.chainFile ? [config.seal.chainFile] : [])];
        const dev = devSealFiles(cfg.devDir).caCertFile;
        if (fs.existsSync(dev)) cas.push(dev);
        writeCas(path.join(out, 'ca', 'seal'), cas);
        writeCas(path.join(out, 'ca', 'tsa'), cfg.tsaTrustedCaFiles ?? []);

        const madeAt = nowIso();
        const note = { caseNumber: o.case, items: items.length, madeBy: actor, madeAt, reason: o.reason };
        fs.writeFileSync(path.join(out, 'verify.sh'), fs.readFileSync(VERIFY_SH_FILE), { mode: 0o555 });
        fs.writeFileSync(path.join(out, 'README.txt'), README_EN(note), { mode: 0o444 });
        fs.writeFileSync(path.join(out, '说明.txt'), README_ZH(note), { mode: 0o444 });
        const walk = (dir: string): string[] =>
          fs
            .readdirSync(path.join(out, dir), { withFileTypes: true })
            .flatMap((e) => (e.isDirectory() ? walk(path.posix.join(dir, e.name)) : [path.posix.join(dir, e.name)]));
        for (const rel of [...walk('ca'), 'verify.sh', 'README.txt', '说明.txt'])
          listed.push({ rel, sha256: sha256Hex(fs.readFileSync(path.join(out, ...rel.split('/')))) });
        listed.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
        const sums = Buffer.from(listed.map((f) => `${f.sha256}  ${f.rel}\n`).join(''));
        fs.writeFileSync(path.join(out, 'SHA256SUMS'), sums, { mode: 0o444 });

        // The checks verify.sh must run, sealed, so a check that silently did not run fails the package:
        // export seal, list, file set, one per file, seal + chain + original per manifest, one per
        // derivative a manifest names, one per token, seal + rows per segment, audit rows covered.
        const verifyChecks = 3 + listed.length + 3 * manifests + derivativeRefs + timestamps + 2 * segments.length + 1;
        // How, when, by whom and why this copy was made (制作方法、时间、制作人), sealed like a manifest.
        // One key a line (JSON.stringify indent): verify.sh reads verifyChecks, sha256sums, development.
        const packageIndex = Buffer.from(
          `${JSON.stringify(
            {
              schema: 'sealdock.export/2',
              caseNumber: o.case,
              madeAt,
              madeBy: actor,
              host: os.hostname(),
              method: 'byte-identical copies from the archive, each re-hashed',
              reason: o.reason,
              generator: { name: 'sealdock', version: SEALDOCK_VERSION },
              seal: { ...seal.info, development: seal.info.development },
              sha256sums: sha256Hex(sums),
              verifyChecks,
              audit: { rows: rows.length, segments: segments.map((s) => s.name) },
              items: index,
            },
            null,
            2,
          )}\n`,
        );
        fs.writeFileSync(path.join(out, 'export.json'), packageIndex, { mode: 0o444 });
        fs.writeFileSync(path.join(out, 'export.json.p7s'), (await seal.seal(packageIndex)).signature, { mode: 0o444 });
        for (const item of items) {
          cat.repo.audit.append({
            actor,
            action: 'exported',
            evidenceId: item.id,
            details: { caseNumber: o.case, out, reason: o.reason },
          });
        }
        if (problems.length) process.exitCode = EXIT_VERIFY_FAILED;
        // Prove the package before saying it is good: run its own check.
        let selfCheck = 'ok';
        try {
          execFileSync('sh', [path.join(out, 'verify.sh')], { stdio: 'pipe' });
        } catch {
          selfCheck = 'FAILED';
          process.exitCode = EXIT_VERIFY_FAILED;
        }
        const result = {
          caseNumber: o.case,
          out,
          items: items.length,
          files: listed.length + 3,
          checks: verifyChecks,
          selfCheck,
          development: seal.info.development,
          problems,
        };
        if (o.json) printJson(result);
        else
          printLines([
            `exported ${items.length} item(s), ${listed.length + 3} file(s) to ${out}; offline check (${verifyChecks} checks): ${selfCheck}`,
            ...(seal.info.development ? ['WARNING: sealed with the DEVELOPMENT seal: not evidence-grade'] : []),
            ...problems.map((p) => `  - ${p}`),
          ]);
      } finally {
        await archive.close();
        cat.close();
      }
    });
}
