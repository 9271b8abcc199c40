import type { Command } from 'commander';
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
    .action((o: { evidence?: string; action?: string; actor?: string; after?: string; limit: string; json?: boolean }) => {
      const cat = openCatalogFor(cliConfig(globals()));
      try {
        const rows = cat.repo.audit.list({ evidenceId: o.evidence, action: o.action, actor: o.actor, afterSeq: o.after ? Number(o.after) : undefined, limit: Number(o.limit) });
        if (o.json) return printJson(rows);
        printTable(['seq', 'at', 'actor', 'action', 'evidence', 'details'], rows.map((r) => [r.seq, r.at, r.actor, r.action, r.evidenceId, JSON.stringify(r.details)]));
      } finally {
        cat.close();
      }
    });

  audit
    .command('verify')
    .description('walk the hash chain; exit 3 if any row was edited, inserted or removed')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) => {
      const cat = openCatalogFor(cliConfig(globals()));
      try {
        const result = cat.repo.audit.verify();
        if (o.json) printJson(result);
        else if (result.ok) process.stdout.write(`audit log intact: ${result.rows} rows, head ${result.lastHash}\n`);
        else {
          process.stdout.write(`AUDIT LOG BROKEN: ${result.problems.length} problem(s) in ${result.rows} rows\n`);
          printTable(['seq', 'problem'], result.problems.map((p) => [p.seq, p.problem]));
        }
        if (!result.ok) process.exitCode = EXIT_VERIFY_FAILED;
      } finally {
        cat.close();
      }
    });
}
