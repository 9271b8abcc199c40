// The audit_log table: the append-only, hash-chained custody and access log (chain rules in
// audit/chain.ts). SQLite triggers refuse UPDATE and DELETE; the chain catches whoever edits
// the file directly.
import { auditRowHash, GENESIS_HASH, type AuditEntry, type AuditRow, type AuditVerifyResult } from '../audit/chain.js';
import { nowIso } from '../util/time.js';
import type { Db } from './db.js';
import { detailsColumn, readJson } from './json-columns.js';
import { DurableCommits } from './durable-commits.js';

export type { AuditEntry, AuditRow, AuditVerifyResult } from '../audit/chain.js';
export { auditRowHash, GENESIS_HASH } from '../audit/chain.js';

interface RawAuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  evidence_id: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

function fromRaw(r: RawAuditRow): AuditRow {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    evidenceId: r.evidence_id,
    details: readJson(detailsColumn, r.details, `audit_log.details (seq ${r.seq})`),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export interface AuditQuery {
  evidenceId?: string | undefined;
  action?: string | undefined;
  actor?: string | undefined;
  afterSeq?: number | undefined;
  /** rows at or after this instant (ISO 8601, UTC) */
  since?: string | undefined;
  /** rows before this instant (ISO 8601, UTC) */
  until?: string | undefined;
  /** newest first (the CLI), instead of oldest first (API paging by afterSeq) */
  newestFirst?: boolean | undefined;
  limit?: number | undefined;
}

interface Waiting {
  entry: AuditEntry;
  resolve(row: AuditRow): void;
  reject(err: unknown): void;
}

/**
 * Group commits of access rows not yet durable at once: one in its fsync, the next committed and
 * waiting for the following fsync (WalSync.after). With one, the event loop idled while all 50
 * connections waited on the fsync (bench/api.mjs); beyond two, rows only split into more commits.
 */
const MAX_COMMITS_IN_FLIGHT = 2;

/** Access rows a custody query must skip: reads are listed apart, page by page (accessOf). */
const ACCESS = 'access';

export class AuditLog {
  private readonly last;
  private readonly insert;
  private readonly custodyOf;
  private readonly accessPage;
  private waiting: Waiting[] = [];
  private commitScheduled = false;
  /** Group commits not durable yet (at most MAX_COMMITS_IN_FLIGHT): while at the limit, rows gather. */
  private commitsInFlight = 0;
  /** Commits made for appendDurable rows (for tests and the bench: rows per commit). */
  groupCommits = 0;

  /** `commits` is the connection's one DurableCommits (EvidenceRepo passes its own). */
  constructor(
    private readonly db: Db,
    private readonly commits: DurableCommits = new DurableCommits(db),
  ) {
    this.last = db.prepare<[], { seq: number; hash: string }>(
      'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
    );
    this.insert = db.prepare(
      'INSERT INTO audit_log (seq, at, actor, action, evidence_id, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    // Custody reads its partial index (migration 6), so it never walks an item's reads. No ORDER
    // BY: with it, SQLite spent ~30 µs more per call though the index is in seq order (measured);
    // custody() puts the rows in seq order instead. A page of reads walks audit_log_evidence
    // backwards from `seq`, skipping the item's few custody rows; the unary + keeps the planner
    // off audit_log_action_at, which would walk every read of every item.
    this.custodyOf = db.prepare<[string], RawAuditRow>(
      `SELECT * FROM audit_log WHERE evidence_id = ? AND action <> '${ACCESS}'`,
    );
    this.accessPage = db.prepare<[string, number, number], RawAuditRow>(
      `SELECT * FROM audit_log WHERE evidence_id = ? AND +action = '${ACCESS}' AND seq < ? ORDER BY seq DESC LIMIT ?`,
    );
  }

  /** Appends one row. Call inside the caller's transaction so the row commits with the change it records. */
  append(entry: AuditEntry): AuditRow {
    return this.appendAll([entry])[0]!;
  }

  private appendAll(entries: readonly AuditEntry[]): AuditRow[] {
    const write = () => {
      const last = this.last.get();
      let seq = last?.seq ?? 0;
      let prevHash = last?.hash ?? GENESIS_HASH;
      const at = nowIso();
      return entries.map((entry): AuditRow => {
        seq++;
        const row = {
          seq,
          at,
          actor: entry.actor,
          action: entry.action,
          evidenceId: entry.evidenceId ?? null,
          details: entry.details ?? {},
        };
        const hash = auditRowHash(prevHash, row);
        this.insert.run(seq, at, row.actor, row.action, row.evidenceId, JSON.stringify(row.details), prevHash, hash);
        const written = { ...row, prevHash, hash };
        prevHash = hash;
        return written;
      });
    };
    // IMMEDIATE takes the write lock before reading the last hash, so two processes cannot fork the chain.
    return this.db.inTransaction ? write() : this.db.transaction(write).immediate();
  }

  /**
   * Appends one row on its own (not part of another change) and resolves once it is durable.
   * Group commit: every row asked for in the same turn of the event loop, or while two batches
   * are still waiting for their fsync, is written in one transaction, so concurrent requests share
   * one commit and one WAL fsync. The commit is the connection's DurableCommits (NORMAL, then our
   * fsync of the same WAL inode on the thread pool, shared by the commits made meanwhile): nobody
   * is answered before an fsync that began after their row's commit has returned, and answers go
   * out in chain order. If the commit or the fsync fails, every caller of the batch gets the error.
   * Why that is exactly FULL's durability: docs/architecture.md, "Durable access rows with group
   * commit".
   */
  appendDurable(entry: AuditEntry): Promise<AuditRow> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ entry, resolve, reject });
      if (this.commitScheduled || this.commitsInFlight >= MAX_COMMITS_IN_FLIGHT) return;
      this.commitScheduled = true;
      setImmediate(() => this.commitWaiting());
    });
  }

  /**
   * Resolves once every row appendDurable has committed so far is durable (rejects if its fsync
   * failed). Rows are visible to readers from their commit on, a little before our fsync: whoever
   * copies rows somewhere that outlives the catalog (sealed audit segments) reads them and then,
   * with no await in between, waits for this.
   */
  durable(): Promise<void> {
    return this.commits.durable();
  }

  private commitWaiting(): void {
    this.commitScheduled = false;
    if (this.commitsInFlight >= MAX_COMMITS_IN_FLIGHT || this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    this.commitsInFlight++;
    this.groupCommits++;
    this.commits
      .commit(() => this.appendAll(batch.map((w) => w.entry)))
      .then(
        (rows) => batch.forEach((w, i) => w.resolve(rows[i]!)),
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      )
      .finally(() => {
        this.commitsInFlight--;
        this.commitWaiting(); // the rows that came in meanwhile: the next batch
      });
  }

  /** How SQLite runs the item view's two queries (tests hold them to their indexes). */
  itemQueryPlans(evidenceId: string): { custody: string[]; access: string[] } {
    const plan = (source: string, ...args: unknown[]) =>
      (this.db.prepare(`EXPLAIN QUERY PLAN ${source}`).all(...args) as { detail: string }[]).map((r) => r.detail);
    return {
      custody: plan(this.custodyOf.source, evidenceId),
      access: plan(this.accessPage.source, evidenceId, Number.MAX_SAFE_INTEGER, 100),
    };
  }

  /** Everything that happened to the item (every row but reads), oldest first. */
  custody(evidenceId: string): AuditRow[] {
    return this.custodyOf
      .all(evidenceId)
      .sort((a, b) => a.seq - b.seq)
      .map(fromRaw);
  }

  /** One page of the item's read rows, newest first, older than `beforeSeq` when given. */
  accessOf(evidenceId: string, page: { beforeSeq?: number | undefined; limit: number }): AuditRow[] {
    return this.accessPage.all(evidenceId, page.beforeSeq ?? Number.MAX_SAFE_INTEGER, page.limit).map(fromRaw);
  }

  list(q: AuditQuery = {}): AuditRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.evidenceId) {
      where.push('evidence_id = ?');
      args.push(q.evidenceId);
    }
    if (q.action) {
      where.push('action = ?');
      args.push(q.action);
    }
    if (q.actor) {
      where.push('actor = ?');
      args.push(q.actor);
    }
    if (q.afterSeq !== undefined) {
      where.push('seq > ?');
      args.push(q.afterSeq);
    }
    // `at` is always written by nowIso() (UTC, fixed width), so text order is time order.
    if (q.since !== undefined) {
      where.push('at >= ?');
      args.push(new Date(q.since).toISOString());
    }
    if (q.until !== undefined) {
      where.push('at < ?');
      args.push(new Date(q.until).toISOString());
    }
    const sql = `SELECT * FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq ${q.newestFirst ? 'DESC' : 'ASC'} LIMIT ?`;
    args.push(Math.min(Math.max(q.limit ?? 1000, 1), 10_000));
    return (this.db.prepare(sql).all(...args) as RawAuditRow[]).map(fromRaw);
  }

  /**
   * Puts back a row exactly as it was sealed (reindex from archived segments), so numbering and
   * chain continue instead of restarting at 1. Only at the end of the log, and only if it links.
   */
  restore(row: AuditRow): void {
    const last = this.last.get();
    if (row.seq !== (last?.seq ?? 0) + 1 || row.prevHash !== (last?.hash ?? GENESIS_HASH)) {
      throw new Error(`audit row ${row.seq} does not continue the log at seq ${(last?.seq ?? 0) + 1}`);
    }
    if (auditRowHash(row.prevHash, row) !== row.hash) throw new Error(`audit row ${row.seq} does not match its hash`);
    this.insert.run(
      row.seq,
      row.at,
      row.actor,
      row.action,
      row.evidenceId,
      JSON.stringify(row.details),
      row.prevHash,
      row.hash,
    );
  }

  /** restore() for a whole sealed segment, with `andThen` (recording the segment) in one transaction. */
  restoreSegment(rows: AuditRow[], andThen: () => void): void {
    this.db.transaction(() => {
      for (const r of rows) this.restore(r);
      andThen();
    })();
  }

  /** Every row matching `q` (no limit), in seq order, read a page at a time. */
  listAll(q: Omit<AuditQuery, 'afterSeq' | 'limit'>): AuditRow[] {
    const out: AuditRow[] = [];
    for (;;) {
      const page = this.list({ ...q, afterSeq: out.at(-1)?.seq ?? 0, limit: 10_000 });
      out.push(...page);
      if (page.length < 10_000) return out;
    }
  }

  /** The newest row's seq and time (undefined when the log is empty). */
  newest(): { seq: number; at: string } | undefined {
    return this.db
      .prepare<[], { seq: number; at: string }>('SELECT seq, at FROM audit_log ORDER BY seq DESC LIMIT 1')
      .get();
  }

  /** The first row after `seq` (the oldest unsealed row when seq is the last sealed one). */
  firstAfter(seq: number): { seq: number; at: string } | undefined {
    return this.db
      .prepare<[number], { seq: number; at: string }>(
        'SELECT seq, at FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 1',
      )
      .get(seq);
  }

  /** The hash the row at `seq` carries now (null when there is no such row). */
  hashAt(seq: number): string | null {
    const row = this.db.prepare('SELECT hash FROM audit_log WHERE seq = ?').get(seq) as { hash: string } | undefined;
    return row?.hash ?? null;
  }

  /** The newest rows with any of these actions, newest first, and how many there are in all (status). */
  latestOf(actions: readonly string[], limit: number): { total: number; rows: AuditRow[] } {
    if (actions.length === 0) return { total: 0, rows: [] };
    const inList = actions.map(() => '?').join(',');
    const total = (
      this.db.prepare(`SELECT COUNT(*) AS n FROM audit_log WHERE action IN (${inList})`).get(...actions) as {
        n: number;
      }
    ).n;
    const rows = (
      this.db
        .prepare(`SELECT * FROM audit_log WHERE action IN (${inList}) ORDER BY seq DESC LIMIT ?`)
        .all(...actions, Math.max(1, limit)) as RawAuditRow[]
    ).map(fromRaw);
    return { total, rows };
  }

  /** Walks the whole chain; reports every row whose content, link or numbering is not what was written. */
  verify(): AuditVerifyResult {
    const problems: AuditVerifyResult['problems'] = [];
    let expectedPrev = GENESIS_HASH;
    let expectedSeq = 1;
    let rows = 0;
    for (const raw of this.db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as Iterable<RawAuditRow>) {
      rows++;
      let row: AuditRow;
      try {
        row = fromRaw(raw);
      } catch {
        problems.push({ seq: raw.seq, problem: 'details are not valid JSON' });
        expectedPrev = raw.hash;
        expectedSeq = raw.seq + 1;
        continue;
      }
      if (row.seq !== expectedSeq)
        problems.push({ seq: row.seq, problem: `expected seq ${expectedSeq}: rows missing` });
      if (row.prevHash !== expectedPrev)
        problems.push({ seq: row.seq, problem: 'prev_hash does not match the previous row' });
      if (auditRowHash(row.prevHash, row) !== row.hash)
        problems.push({ seq: row.seq, problem: 'row content does not match its hash' });
      expectedPrev = row.hash;
      expectedSeq = row.seq + 1;
    }
    return { ok: problems.length === 0, rows, lastHash: expectedPrev, problems };
  }
}
