// `sealdock export --case N --out DIR`: a court package that checks offline with nothing but
// sha256sum and openssl. Every file is copied from the archive (the system of record) and hashed
// on the way; the package says how, when and by whom it was made, in a sealed index.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
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
import { createSealService } from '../../seal/index.js';
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

const VERIFY_SH = `#!/bin/sh
# Checks this package offline: every file against SHA256SUMS, every sealed manifest (and the
# package index) against the CA certificate(s) in ca/. Needs only sha256sum and openssl.
set -u
cd "$(dirname "$0")"
status=0
sha256sum --quiet -c SHA256SUMS || status=1
cat ca/*.pem > /tmp/sealdock-export-ca.$$
for sig in $(find . -name '*.json.p7s' | sort); do
  if openssl cms -verify -binary -inform DER -in "$sig" -content "\${sig%.p7s}" -CAfile /tmp/sealdock-export-ca.$$ -purpose any -out /dev/null 2>/dev/null; then
    echo "seal OK: \${sig%.p7s}"
  else
    echo "SEAL FAILED: \${sig%.p7s}"; status=1
  fi
done
rm -f /tmp/sealdock-export-ca.$$
[ $status -eq 0 ] && echo "package verified" || echo "PACKAGE VERIFICATION FAILED"
exit $status
`;

export function registerExport(program: Command, globals: () => GlobalOptions): void {
  program
    .command('export')
    .description('a court package of one case, verifiable offline with sha256sum and openssl')
    .requiredOption('--case <caseNumber>', 'the case number')
    .requiredOption('--out <dir>', 'a new (or empty) folder for the package')
    .option('--reason <text>', 'why, for the audit log and the package index')
    .option('--json', 'machine-readable output')
    .action(async (o: { case: string; out: string; reason?: string; json?: boolean }) => {
      const out = path.resolve(o.out);
      if (fs.existsSync(out) && fs.readdirSync(out).length > 0) throw new SealdockError('USAGE', `${out} is not empty`);
      const config = cliConfig(globals());
      const cat = openCatalogFor(config);
      const archive = await createArchive(config);
      const actor = cliActor();
      const reader = pinnedReaderFor(archive, { repo: cat.repo, log: createLogger('error') }, actor);
      try {
        const items = [...cat.repo.iterate({ caseNumber: o.case })];
        if (items.length === 0) throw new SealdockError('NOT_FOUND', `no evidence for case ${JSON.stringify(o.case)}`);
        await fsp.mkdir(out, { recursive: true });
        const sums: string[] = [];
        const problems: string[] = [];
        const index = [];
        for (const item of items) {
          const files = [];
          for (const obj of cat.repo.archiveObjects.ofItem(item.id)) {
            const rel = obj.key; // evidence/<id>/…: the archive layout, already safe as a path
            let got;
            try {
              got = await copyOut(reader, obj, path.join(out, ...rel.split('/')));
            } catch (err) {
              problems.push(`${obj.key}: ${errorMessage(err)}`);
              continue;
            }
            sums.push(`${got.sha256}  ${rel}`);
            files.push({ path: rel, kind: obj.kind, sha256: got.sha256, size: got.size });
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
          cat.repo.audit.append({
            actor,
            action: 'exported',
            evidenceId: item.id,
            details: { caseNumber: o.case, out, ...(o.reason ? { reason: o.reason } : {}) },
          });
        }
        // Trust anchors an auditor checks against: the configured CAs and, if used, the development CA.
        const cfg = sealConfigOf(config);
        const cas = [...(cfg.trustedCaFiles ?? []), ...(config.seal.chainFile ? [config.seal.chainFile] : [])];
        const dev = devSealFiles(cfg.devDir).caCertFile;
        if (fs.existsSync(dev)) cas.push(dev);
        await fsp.mkdir(path.join(out, 'ca'));
        cas.forEach((f, i) =>
          fs.copyFileSync(f, path.join(out, 'ca', `${String(i + 1).padStart(2, '0')}-${path.basename(f)}`)),
        );

        // How, when and by whom this copy was made (制作方法、时间、制作人), sealed like a manifest.
        const seal = createSealService(cfg, createLogger('silent'));
        const packageIndex = Buffer.from(
          JSON.stringify(
            {
              schema: 'sealdock.export/1',
              caseNumber: o.case,
              madeAt: nowIso(),
              madeBy: actor,
              host: os.hostname(),
              method: 'byte-identical copies from the archive, each re-hashed',
              reason: o.reason ?? null,
              generator: { name: 'sealdock', version: SEALDOCK_VERSION },
              seal: seal.info,
              items: index,
            },
            null,
            2,
          ),
        );
        fs.writeFileSync(path.join(out, 'export.json'), packageIndex, { mode: 0o444 });
        fs.writeFileSync(path.join(out, 'export.json.p7s'), (await seal.seal(packageIndex)).signature, { mode: 0o444 });
        const sha = (p: string) =>
          createHash('sha256')
            .update(fs.readFileSync(path.join(out, p)))
            .digest('hex');
        sums.push(`${sha('export.json')}  export.json`, `${sha('export.json.p7s')}  export.json.p7s`);
        fs.writeFileSync(path.join(out, 'SHA256SUMS'), `${sums.join('\n')}\n`);
        fs.writeFileSync(path.join(out, 'verify.sh'), VERIFY_SH, { mode: 0o755 });
        fs.writeFileSync(
          path.join(out, 'README.txt'),
          `Case ${o.case}: ${items.length} item(s) exported by ${actor} at ${nowIso()} with sealdock ${SEALDOCK_VERSION}.\n` +
            `Check it offline:  sh verify.sh   (sha256sum -c SHA256SUMS, then openssl cms -verify on every manifest)\n` +
            `Layout: evidence/<id>/original/ (the untouched original), manifest/<rev>.json(.p7s/.tsr), derivative/<rev>.mp4\n`,
        );
        if (problems.length) process.exitCode = EXIT_VERIFY_FAILED;
        // Prove the package before saying it is good: run its own check.
        let selfCheck = 'skipped';
        try {
          execFileSync('sh', [path.join(out, 'verify.sh')], { stdio: 'pipe' });
          selfCheck = 'ok';
        } catch {
          selfCheck = 'FAILED';
          process.exitCode = EXIT_VERIFY_FAILED;
        }
        const result = { caseNumber: o.case, out, items: items.length, files: sums.length, selfCheck, problems };
        if (o.json) printJson(result);
        else
          printLines([
            `exported ${items.length} item(s), ${sums.length} file(s) to ${out}; offline check: ${selfCheck}`,
            ...problems.map((p) => `  - ${p}`),
          ]);
      } finally {
        await archive.close();
        cat.close();
      }
    });
}
