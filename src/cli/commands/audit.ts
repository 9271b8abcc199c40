import type { Command } from 'commander';
import { createArchive } from '../../archive/index.js';
import type { EvidenceRepo } from '../../catalog/evidence-repo.js';
import { AUDIT_ACTIONS, isAuditAction } from '../../audit/actions.js';
import { sealConfigOf } from '../../config/adapters.js';
import type { Config } from '../../config/schema.js';
import { SealdockError } from '../../errors.js';
import { createSealVerifier } from '../../seal/verifier.js';
import { unsealedTail, verifyAuditSegments } from '../../usecases/audit-segments.js';
import { EXIT_VERIFY_FAILED } from '../exit-codes.js';
import { cliConfig, intFlag, openCatalogFor, whenFlag, type GlobalOptions } from '../context.js';
import { printJson, printTable } from '../output.js';

export function registerAudit(program: Command, globals: () => GlobalOptions): void {
  const audit = program.command('audit').description('the hash-chained custody and access log');

  audit
    .command('list')
    .description('audit rows, newest first')
    .option('--evidence <id>', 'only rows about this item')
    .option('--action <action>', 'only this action (the list is in --help)')
    .option('--actor <actor>', 'only this actor')
    .option('--since <when>', 'rows at or after: 2026-11-20 (that day, in the configured zone), an ISO instant, or 7d')
    .option('--until <when>', 'rows before the end of: 2026-11-20 (that day included), an ISO instant, or 1h')
    .option('--after <seq>', 'rows after this sequence number')
    .option('--limit <n>', 'at most this many (1–10000)', '200')
    .option('--oldest-first', 'oldest first instead')
    .option('--json', 'machine-readable output')
    .addHelpText('after', `\nActions: ${AUDIT_ACTIONS.join(', ')}`)
    .action(
      (o: {
        evidence?: string;
        action?: string;
        actor?: string;
        since?: string;
        until?: string;
        after?: string;
        limit: string;
        oldestFirst?: boolean;
        json?: boolean;
      }) => {
        if (o.action !== undefined && !isAuditAction(o.action)) {
          const near = AUDIT_ACTIONS.filter((a) => a.startsWith(o.action!.slice(0, 4)));
          throw new SealdockError(
            'USAGE',
            `--action: no action ${JSON.stringify(o.action)}${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}; actions: ${AUDIT_ACTIONS.join(', ')}`,
          );
        }
        const limit = intFlag('--limit', o.limit, 1, 10_000);
        const afterSeq = o.after === undefined ? undefined : intFlag('--after', o.after, 0, Number.MAX_SAFE_INTEGER);
        const config = cliConfig(globals());
        const since =
          o.since === undefined ? undefined : whenFlag(config, '--since', o.since, { bound: 'start', span: 'past' });
        const until =
          o.until === undefined ? undefined : whenFlag(config, '--until', o.until, { bound: 'end', span: 'past' });
        if (since && until && since >= until) throw new SealdockError('USAGE', '--since must be before --until');
        const cat = openCatalogFor(config);
        try {
          const rows = cat.repo.audit.list({
            evidenceId: o.evidence,
            action: o.action,
            actor: o.actor,
            afterSeq,
            since: since?.toISOString(),
            until: until?.toISOString(),
            newestFirst: !o.oldestFirst,
            limit,
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
        // Rows after the last sealed segment are protected only by the chain until the daemon seals
        // them (audit.sealIntervalMs / audit.sealMaxRows): say how many and since when.
        const unsealed = unsealedTail(cat.repo);
        const result = { ...chain, ok: chain.ok && segments.ok, segments, unsealed };
        if (!o.json)
          for (const p of segments.problems)
            result.problems.push({ seq: 0, problem: `segment ${p.segment}: ${p.problem}` });
        if (o.json) printJson(result);
        else if (result.ok)
          process.stdout.write(
            `audit log intact: ${result.rows} rows, head ${result.lastHash}; ${segments.segments} sealed segment(s) verified\n` +
              (unsealed.rows > 0
                ? `unsealed tail: ${unsealed.rows} row(s) from seq ${unsealed.firstSeq} since ${unsealed.since}, not yet in a sealed segment\n`
                : 'unsealed tail: none (every row is in a sealed segment)\n'),
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
