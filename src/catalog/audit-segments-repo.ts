// The audit_segments table: which runs of audit rows have been sealed and archived.
import type { Db } from './db.js';

export interface SegmentRecord {
  name: string;
  firstSeq: number;
  lastSeq: number;
  lastHash: string;
  sha256: string;
  archivedAt: string;
}

export class AuditSegmentsRepo {
  constructor(private readonly db: Db) {}

  /** Every sealed segment, in chain order. */
  list(): SegmentRecord[] {
    return (this.db.prepare('SELECT * FROM audit_segments ORDER BY first_seq').all() as Record<string, unknown>[]).map(
      (r) => ({
        name: r.name as string,
        firstSeq: r.first_seq as number,
        lastSeq: r.last_seq as number,
        lastHash: r.last_hash as string,
        sha256: r.sha256 as string,
        archivedAt: r.archived_at as string,
      }),
    );
  }

  /** The last audit seq already in a sealed segment (0 when none is). */
  lastSealedSeq(): number {
    return (this.db.prepare('SELECT MAX(last_seq) AS s FROM audit_segments').get() as { s: number | null }).s ?? 0;
  }

  record(s: SegmentRecord): void {
    this.db
      .prepare(
        'INSERT INTO audit_segments (name, first_seq, last_seq, last_hash, sha256, archived_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(s.name, s.firstSeq, s.lastSeq, s.lastHash, s.sha256, s.archivedAt);
  }
}
