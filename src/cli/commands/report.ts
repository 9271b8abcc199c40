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
    .action((o: { year: string; json?: boolean }) => {
      const year = Number(o.year);
      if (!Number.isInteger(year) || year < 2000 || year > 9999)
        throw new SealdockError('USAGE', '--year must be a year such as 2026');
      const from = `${year}-01-01T00:00:00.000Z`;
      const to = `${year + 1}-01-01T00:00:00.000Z`;
      const cat = openCatalogFor(cliConfig(globals()));
      try {
        const q = <T>(sql: string, ...args: unknown[]) => cat.db.prepare(sql).all(...args) as T[];
        const inYear = 'received_at >= ? AND received_at < ?';
        const total = q<{ items: number; bytes: number | null }>(
          `SELECT COUNT(*) AS items, SUM(size) AS bytes FROM evidence WHERE ${inYear}`,
          from,
          to,
        )[0]!;
        const byMonth = q<{ month: string; items: number; bytes: number }>(
          `SELECT substr(received_at, 1, 7) AS month, COUNT(*) AS items, SUM(size) AS bytes FROM evidence WHERE ${inYear} GROUP BY month ORDER BY month`,
          from,
          to,
        );
        const byState = q<{ state: string; items: number }>(
          `SELECT state, COUNT(*) AS items FROM evidence WHERE ${inYear} GROUP BY state ORDER BY state`,
          from,
          to,
        );
        const byDock = q<{ dock: string; items: number }>(
          `SELECT dock_id AS dock, COUNT(*) AS items FROM evidence WHERE ${inYear} GROUP BY dock_id ORDER BY dock_id`,
          from,
          to,
        );
        const missing = q<{ element: string; items: number }>(
          `SELECT j.value AS element, COUNT(*) AS items FROM evidence, json_each(evidence.missing) j WHERE ${inYear} GROUP BY j.value ORDER BY j.value`,
          from,
          to,
        );
        const cases = q<{ n: number }>(
          `SELECT COUNT(DISTINCT json_extract(elements, '$.caseNumber')) AS n FROM evidence WHERE ${inYear}`,
          from,
          to,
        )[0]!.n;
        const held = q<{ n: number }>(
          `SELECT COUNT(*) AS n FROM evidence WHERE legal_hold = 1 AND ${inYear}`,
          from,
          to,
        )[0]!.n;
        const audit = q<{ action: string; n: number }>(
          `SELECT action, COUNT(*) AS n FROM audit_log WHERE at >= ? AND at < ? AND action IN ('access', 'access-denied', 'exported', 'verified', 'element-changed', 'legal-hold-set', 'legal-hold-released') GROUP BY action ORDER BY action`,
          from,
          to,
        );
        const report = {
          year,
          items: total.items,
          bytes: total.bytes ?? 0,
          cases,
          legalHolds: held,
          byMonth,
          byState,
          byDock,
          missingElements: missing,
          auditActions: audit,
        };
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
          ['audit action', 'count'],
          audit.map((a) => [a.action, a.n]),
        );
      } finally {
        cat.close();
      }
    });
}
