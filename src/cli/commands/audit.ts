import type { Command } from 'commander';
import { createArchive } from '../../archive/index.js';
import type { EvidenceRepo } from '../../catalog/evidence-repo.js';
import { sealConfigOf } from '../../config/adapters.js';
import type { Config } from '../../config/schema.js';
import { createSealVerifier } from '../../seal/verifier.js';
import { verifyAuditSegments } from '../../usecases/audit-segments.js';
import { EXIT_VERIFY_FAILED } from '../exit-codes.js';
import { cliConfig, openCatalogFor, type GlobalOptions } from '../context.js';
import { printJson, printTable } from '../output.js';

export function registerAudit(program: Command, globals: () => GlobalOptions): void {
  const audit = program.command('audit').description('the hash-chained custody and access log');

  audit
    .command('list')
    .description('audit rows, oldest first')
    .option('--evidence <id>', 'only rows about this item')
    .option('--action <action>', 'only this action')
    .option('--actor <actor>', 'only this actor')
    .option('--after <seq>', 'rows after this sequence number')
    .option('--limit <n>', 'at most this many', '200')
    .option('--json', 'machine-readable output')
    .action(
      (o: { evidence?: string; action?: string; actor?: string; after?: string; limit: string; json?: boolean }) => {
        const cat = openCatalogFor(cliConfig(globals()));
        try {
          const rows = cat.repo.audit.list({
            evidenceId: o.evidence,
            action: o.action,
            actor: o.actor,
            afterSeq: o.after ? Number(o.after) : undefined,
            limit: Number(o.limit),
          });
          if (o.json) return printJson(rows);
          printTable(
            ['seq', 'at', 'actor', 'action', 'evidence', 'details'],
            rows.map((r) => [r.seq, r.at, r.actor, r.action, r.evidenceId, JSON.stringify(r.details)]),
          );
        } finally {
          cat.close();
        }
      },
    );

  audit
    .command('verify')
    .description('walk the hash chain; exit 3 if any row was edited, inserted or removed')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const config = cliConfig(globals());
      const cat = openCatalogFor(config);
      try {
        const chain = cat.repo.audit.verify();
        // Sealed, archived segments (src/usecases/audit-segments.ts): their seals, and that the catalog still agrees with them.
        const segments = await verifyArchivedSegments(config, cat.repo);
        const result = { ...chain, ok: chain.ok && segments.ok, segments };
        if (!o.json)
          for (const p of segments.problems)
            result.problems.push({ seq: 0, problem: `segment ${p.segment}: ${p.problem}` });
        if (o.json) printJson(result);
        else if (result.ok)
          process.stdout.write(
            `audit log intact: ${result.rows} rows, head ${result.lastHash}; ${segments.segments} sealed segment(s) verified\n`,
          );
        else {
          process.stdout.write(`AUDIT LOG BROKEN: ${result.problems.length} problem(s) in ${result.rows} rows\n`);
          printTable(
            ['seq', 'problem'],
            result.problems.map((p) => [p.seq, p.problem]),
          );
        }
        if (!result.ok) process.exitCode = EXIT_VERIFY_FAILED;
      } finally {
        cat.close();
      }
    });
}

async function verifyArchivedSegments(config: Config, repo: EvidenceRepo) {
  if (repo.auditSegments.list().length === 0) return { ok: true, segments: 0, problems: [] };
  const archive = await createArchive(config);
  try {
    return await verifyAuditSegments({
      audit: repo.audit,
      segments: repo.auditSegments,
      archive,
      verifier: createSealVerifier(sealConfigOf(config)),
    });
  } finally {
    await archive.close();
  }
}
