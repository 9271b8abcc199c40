// hold, release, retain, reindex: what an archive admin does to archived items.
import { pinnedReaderFor } from '../../audit/alarms.js';
import { createLogger } from '../../logging.js';
import type { Command } from 'commander';
import { createArchive } from '../../archive/index.js';
import { extendItemRetention, setItemLegalHold } from '../../usecases/holds.js';
import { reindex } from '../../usecases/reindex.js';
import { sealConfigOf } from '../../config/adapters.js';
import { SealdockError } from '../../errors.js';
import { createSealVerifier } from '../../seal/verifier.js';
import { cliActor, cliConfig, openCatalogFor, whenFlag, type GlobalOptions } from '../context.js';
import { sealAuditTailUnlessDaemonRuns } from '../audit-tail.js';
import { EXIT_VERIFY_FAILED } from '../exit-codes.js';
import { printJson, printLines } from '../output.js';

/** `sealTail`: the command's audit rows are sealed before it returns when no daemon runs (cli/audit-tail.ts). */
async function withArchive<T>(
  globals: () => GlobalOptions,
  opts: { mustExist?: boolean; sealTail?: boolean },
  fn: (d: {
    archive: Awaited<ReturnType<typeof createArchive>>;
    cat: ReturnType<typeof openCatalogFor>;
    config: ReturnType<typeof cliConfig>;
  }) => Promise<T>,
): Promise<T> {
  const config = cliConfig(globals());
  const cat = openCatalogFor(config, opts);
  const archive = await createArchive(config);
  try {
    const result = await fn({ archive, cat, config });
    if (opts.sealTail) await sealAuditTailUnlessDaemonRuns(config, cat, archive);
    return result;
  } finally {
    await archive.close();
    cat.close();
  }
}

export function registerArchiveAdmin(program: Command, globals: () => GlobalOptions): void {
  for (const [name, on] of [
    ['hold', true],
    ['release', false],
  ] as const) {
    program
      .command(`${name} <id>`)
      .description(
        on
          ? 'put every archived object of an item under legal hold (kept until released)'
          : 'lift the legal hold (retention still applies)',
      )
      .option('--reason <text>', 'why, for the audit log')
      .option('--json', 'machine-readable output')
      .action((id: string, o: { reason?: string; json?: boolean }) =>
        withArchive(globals, { sealTail: true }, async ({ archive, cat }) => {
          const r = await setItemLegalHold({ archive, repo: cat.repo }, id, on, cliActor(), o.reason);
          if (o.json) printJson({ id, legalHold: on, ...r });
          else printLines([`${id}: legal hold ${on ? 'set' : 'released'} on ${r.objects} object(s)`]);
        }),
      );
  }

  program
    .command('retain <id>')
    .description('extend the retention of every archived object of an item (never shortens)')
    .requiredOption(
      '--until <when>',
      'new retain-until: a date (kept through that day, in the configured zone), an ISO instant, or a span like 3650d',
    )
    .option('--reason <text>', 'why, for the audit log')
    .option('--json', 'machine-readable output')
    .action((id: string, o: { until: string; reason?: string; json?: boolean }) => {
      const config = cliConfig(globals());
      const until = whenFlag(config, '--until', o.until, { bound: 'end', span: 'future' });
      if (until.getTime() <= Date.now())
        throw new SealdockError('USAGE', `--until: ${until.toISOString()} is already past`);
      return withArchive(globals, { sealTail: true }, async ({ archive, cat }) => {
        const r = await extendItemRetention({ archive, repo: cat.repo }, id, until, cliActor(), o.reason);
        if (o.json) printJson({ id, ...r });
        else printLines([`${id}: ${r.objects} object(s) retained until ${r.retainUntil}`]);
      });
    });

  program
    .command('reindex')
    .description('rebuild the catalog from the archive alone (seals and revision chains are checked)')
    .option('--hash', 'also re-read and hash every original and derivative (slow)')
    .option('--json', 'machine-readable output')
    .action((o: { hash?: boolean; json?: boolean }) =>
      withArchive(globals, { mustExist: false }, async ({ archive, cat, config }) => {
        await archive.checkReady();
        const report = await reindex({
          archive,
          verifier: createSealVerifier(sealConfigOf(config)),
          repo: cat.repo,
          actor: cliActor(),
          hashObjects: o.hash ?? false,
          reader: pinnedReaderFor(archive, { repo: cat.repo, log: createLogger('error') }, cliActor()),
        });
        if (o.json) printJson(report);
        else {
          printLines([
            `audit: ${report.audit.segmentsRestored} sealed segment(s), ${report.audit.rowsRestored} row(s) restored from the archive`,
            ...report.audit.problems.map((p) => `AUDIT HISTORY NOT RESTORED PAST: ${p}`),
            `scanned ${report.scanned}, added ${report.added.length}, already catalogued ${report.alreadyCatalogued}, failed ${report.failed.length}`,
          ]);
          for (const f of report.failed) printLines([`FAILED ${f.id}`, ...f.problems.map((p) => `  - ${p}`)]);
        }
        if (report.failed.length || report.audit.problems.length) process.exitCode = EXIT_VERIFY_FAILED;
      }),
    );
}
