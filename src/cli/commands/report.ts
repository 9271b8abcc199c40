// `sealdock report --year Y`: the year in numbers, for supervisors: what came in, what is still
// missing elements, what is held, who looked at evidence how often.
import type { Command } from 'commander';
import { SealdockError } from '../../errors.js';
import { cliConfig, openCatalogFor, type GlobalOptions } from '../context.js';
import { printJson, printLines, printTable } from '../output.js';

export function registerReport(program: Command, globals: () => GlobalOptions): void {
  program
    .command('report')
    .description('a yearly report: intake per month, states, missing elements, holds, accesses')
    .requiredOption('--year <year>', 'calendar year (UTC)')
    .option('--json', 'machine-readable output')
    .action(async (o: { year: string; json?: boolean }) => {
      const year = Number(o.year);
      if (!Number.isInteger(year) || year < 2000 || year > 9999)
        throw new SealdockError('USAGE', '--year must be a year such as 2026');
      const cat = openCatalogFor(cliConfig(globals()));
      try {
        const report = await cat.repo.reports.year(year);
        const { byMonth, byState, missingElements: missing, auditActions: audit, cases, legalHolds: held } = report;
        if (o.json) return printJson(report);
        printLines([
          `sealdock report ${year}: ${report.items} item(s), ${(report.bytes / 1e9).toFixed(2)} GB, ${cases} case number(s), ${held} under legal hold`,
          '',
        ]);
        printTable(
          ['month', 'items', 'GB'],
          byMonth.map((m) => [m.month, m.items, (m.bytes / 1e9).toFixed(2)]),
        );
        printLines(['']);
        printTable(
          ['state', 'items'],
          byState.map((s) => [s.state, s.items]),
        );
        printLines(['']);
        printTable(
          ['missing element', 'items'],
          missing.map((m) => [m.element, m.items]),
        );
        printLines(['']);
        printTable(
          ['unconfirmed element (default or mtime)', 'items'],
          report.unconfirmedElements.map((m) => [m.element, m.items]),
        );
        printLines(['']);
        printTable(
          ['audit action', 'count'],
          audit.map((a) => [a.action, a.n]),
        );
      } finally {
        cat.close();
      }
    });
}
