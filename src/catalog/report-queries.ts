// Read-only aggregates for supervisors: the yearly report (`sealdock report`, GET /api/v1/report),
// intake and backlog per day, and each dock's last intake (GET /api/v1/activity, /status). They
// read evidence, dock_files and audit_log together, so they live here rather than in one table's
// repository.
import { ELEMENT_KEYS } from '../elements/types.js';
import type { Db } from './db.js';
import { readInParallel, type ReadStatement } from './parallel-reads.js';

export interface YearReport {
  year: number;
  items: number;
  bytes: number;
  cases: number;
  legalHolds: number;
  byMonth: { month: string; items: number; bytes: number }[];
  byState: { state: string; items: number }[];
  byDock: { dock: string; items: number }[];
  missingElements: { element: string; items: number }[];
  /**
   * Elements present only from a default or a guess: a dock default or an mtime time (the
   * sources unconfirmedElements() treats as guesses; a placeholder place given by a sidecar is
   * shown per item, not counted here).
   */
  unconfirmedElements: { element: string; items: number }[];
  auditActions: { action: string; n: number }[];
}

export interface DayActivity {
  /** YYYY-MM-DD in the zone whose offset was given */
  day: string;
  received: number;
  /** items that reached archived or unplayable for the first time that day */
  settled: number;
  /** items received by the end of the day and not yet settled */
  backlog: number;
}

/** The supervisors' aggregates (no table of their own: they read evidence, dock_files and audit_log). */
export class ReportQueries {
  constructor(private readonly db: Db) {}

  /**
   * A calendar year (UTC) in numbers, from indexes only (migration 6), never the table: months
   * are range scans of `evidence_received_id_size`; states, docks and case numbers are scans of
   * indexes that lead with them (grouped in index order, no sort); holds and missing elements
   * come from partial indexes of the few items concerned; audit counts from `audit_log_action_at`.
   * The scans run in two groups on threads of their own (catalog/parallel-reads.ts): one after
   * the other they took 0.5-0.7 s at 1M items, on the event loop when the API asked.
   */
  async year(year: number): Promise<YearReport> {
    const from = `${year}-01-01T00:00:00.000Z`;
    const to = `${year + 1}-01-01T00:00:00.000Z`;
    const inYear = 'received_at >= ? AND received_at < ?';
    const range = (sql: string): ReadStatement => ({ sql, args: [from, to] });
    const months = Array.from({ length: 12 }, (_, i) => {
      const start = `${year}-${String(i + 1).padStart(2, '0')}-01T00:00:00.000Z`;
      const end = i === 11 ? to : `${year}-${String(i + 2).padStart(2, '0')}-01T00:00:00.000Z`;
      return { month: start.slice(0, 7), start, end };
    });
    const elements = [...ELEMENT_KEYS].sort();
    // Two groups of about equal work: the five scans that read an index entry per item of the
    // year (states, docks, months, case numbers, and whichever element sources are guesses)
    // split between them; the rest read a few entries each.
    const [first, second] = await readInParallel(this.db, [
      [
        range(
          `SELECT state, COUNT(*) AS items FROM evidence INDEXED BY evidence_state_received WHERE ${inYear} GROUP BY state ORDER BY state`,
        ),
        range(
          `SELECT dock_id AS dock, COUNT(*) AS items FROM evidence INDEXED BY evidence_dock_received WHERE ${inYear} GROUP BY dock_id ORDER BY dock_id`,
        ),
        range(`SELECT COUNT(*) AS n FROM evidence INDEXED BY evidence_held WHERE legal_hold = 1 AND ${inYear}`),
        range(
          `SELECT j.value AS element, COUNT(*) AS items FROM evidence INDEXED BY evidence_missing, json_each(evidence.missing) j
            WHERE ${inYear} AND missing <> '[]' GROUP BY j.value ORDER BY j.value`,
        ),
        range(
          `SELECT action, COUNT(*) AS n FROM audit_log WHERE at >= ? AND at < ? AND action IN ('access', 'access-denied', 'exported', 'verified', 'element-changed', 'legal-hold-set', 'legal-hold-released') GROUP BY action ORDER BY action`,
        ),
      ],
      [
        ...months.map((m) => ({
          sql: `SELECT COUNT(*) AS items, COALESCE(SUM(size), 0) AS bytes FROM evidence INDEXED BY evidence_received_id_size
                 WHERE received_at >= ? AND received_at < ?`,
          args: [m.start, m.end],
        })),
        range(
          `SELECT COUNT(DISTINCT json_extract(elements, '$.caseNumber')) AS n FROM evidence INDEXED BY evidence_case WHERE ${inYear}`,
        ),
        // One index per element on its source (migration 7): json_each over every row took seconds at 1M.
        ...elements.map((element) =>
          range(
            `SELECT COUNT(*) AS n FROM evidence INDEXED BY evidence_source_${element}
              WHERE json_extract(element_sources, '$.${element}') IN ('dock', 'mtime') AND ${inYear}`,
          ),
        ),
      ],
    ]);
    const [byState, byDock, held, missingElements, auditActions] = first! as [
      YearReport['byState'],
      YearReport['byDock'],
      { n: number }[],
      YearReport['missingElements'],
      YearReport['auditActions'],
    ];
    const monthRows = second!.slice(0, 12) as { items: number; bytes: number }[][];
    const [cases, ...unconfirmed] = second!.slice(12) as { n: number }[][];
    const byMonth = months.map((m, i) => ({ month: m.month, ...monthRows[i]![0]! })).filter((m) => m.items > 0);
    return {
      year,
      items: byMonth.reduce((n, m) => n + m.items, 0),
      bytes: byMonth.reduce((n, m) => n + m.bytes, 0),
      cases: cases![0]!.n,
      legalHolds: held[0]!.n,
      byMonth,
      byState,
      byDock,
      missingElements,
      unconfirmedElements: elements
        .map((element, i) => ({ element, items: unconfirmed[i]![0]!.n }))
        .filter((u) => u.items > 0),
      auditActions,
    };
  }

  /**
   * Intake and backlog for `days` days ending today, days cut at a fixed UTC offset (the configured
   * zone's offset now: SQLite knows no time zones; a DST zone is off by an hour near its switch).
   */
  dailyActivity(days: number, offsetMinutes: number, now: Date = new Date()): DayActivity[] {
    const shift = `${offsetMinutes >= 0 ? '+' : ''}${offsetMinutes} minutes`;
    const localDay = (d: Date) => new Date(d.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 10);
    const firstDay = localDay(new Date(now.getTime() - (days - 1) * 86_400_000));
    const perDay = (sql: string) =>
      new Map((this.db.prepare(sql).all(shift) as { day: string; n: number }[]).map((r) => [r.day, r.n]));
    const received = perDay(
      `SELECT substr(datetime(received_at, ?), 1, 10) AS day, COUNT(*) AS n FROM evidence GROUP BY day`,
    );
    const settled = perDay(
      `SELECT day, COUNT(*) AS n FROM (
       SELECT substr(datetime(MIN(at), ?), 1, 10) AS day FROM audit_log
       WHERE action IN ('archived', 'unplayable') AND evidence_id IS NOT NULL GROUP BY evidence_id
     ) GROUP BY day`,
    );
    let backlog = 0;
    for (const [day, n] of received) if (day < firstDay) backlog += n;
    for (const [day, n] of settled) if (day < firstDay) backlog -= n;
    const out: DayActivity[] = [];
    for (let i = days - 1; i >= 0; i--) {
      const day = localDay(new Date(now.getTime() - i * 86_400_000));
      const r = received.get(day) ?? 0;
      const s = settled.get(day) ?? 0;
      backlog += r - s;
      out.push({ day, received: r, settled: s, backlog: Math.max(0, backlog) });
    }
    return out;
  }

  /** Each dock's newest dock file and how many of its files are not released yet. */
  dockActivity(): { dockId: string; lastSeenAt: string; files: number; unreleased: number }[] {
    return this.db
      .prepare(
        `SELECT dock_id AS dockId, MAX(seen_at) AS lastSeenAt, COUNT(*) AS files,
              SUM(CASE WHEN released_at IS NULL THEN 1 ELSE 0 END) AS unreleased
       FROM dock_files GROUP BY dock_id ORDER BY dock_id`,
      )
      .all() as { dockId: string; lastSeenAt: string; files: number; unreleased: number }[];
  }
}
