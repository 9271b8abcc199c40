// The archive_objects table: every object put in the archive, its lock terms and when it was
// last verified.
import type { Db } from './db.js';
import { nowIso } from '../util/time.js';

export interface ArchiveObjectRecord {
  key: string;
  evidenceId: string | null;
  kind: 'original' | 'manifest' | 'signature' | 'timestamp' | 'derivative' | 'audit';
  sha256: string;
  size: number;
  versionId: string | null;
  backendChecksum: string | null;
  retainUntil: string | null;
  legalHold: boolean;
  storedAt: string;
  verifiedAt: string | null;
}

function fromRaw(r: Record<string, unknown>): ArchiveObjectRecord {
  return {
    key: r.key as string,
    evidenceId: r.evidence_id as string | null,
    kind: r.kind as ArchiveObjectRecord['kind'],
    sha256: r.sha256 as string,
    size: r.size as number,
    versionId: r.version_id as string | null,
    backendChecksum: r.backend_checksum as string | null,
    retainUntil: r.retain_until as string | null,
    legalHold: r.legal_hold === 1,
    storedAt: r.stored_at as string,
    verifiedAt: r.verified_at as string | null,
  };
}

export class ArchiveObjectsRepo {
  constructor(private readonly db: Db) {}

  record(o: Omit<ArchiveObjectRecord, 'storedAt' | 'verifiedAt'>): void {
    this.db
      .prepare(
        `INSERT INTO archive_objects (key, evidence_id, kind, sha256, size, version_id, backend_checksum, retain_until, legal_hold, stored_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET version_id = COALESCE(excluded.version_id, version_id),
           backend_checksum = COALESCE(excluded.backend_checksum, backend_checksum)`,
      )
      .run(
        o.key,
        o.evidenceId,
        o.kind,
        o.sha256,
        o.size,
        o.versionId,
        o.backendChecksum,
        o.retainUntil,
        o.legalHold ? 1 : 0,
        nowIso(),
      );
  }

  markVerified(key: string): void {
    this.db.prepare('UPDATE archive_objects SET verified_at = ? WHERE key = ?').run(nowIso(), key);
  }

  /** One object by its key (audit segments have no evidence id). */
  byKey(key: string): ArchiveObjectRecord | undefined {
    const r = this.db.prepare('SELECT * FROM archive_objects WHERE key = ?').get(key) as
      Record<string, unknown> | undefined;
    return r ? fromRaw(r) : undefined;
  }

  /** The item's objects in key order (SQLite's: the bytes of the UTF-8 keys). */
  ofItem(evidenceId: string): ArchiveObjectRecord[] {
    // Sorted here, not by ORDER BY: with it, SQLite spent ~20 µs more per call on a handful of
    // rows, a tenth of the CPU of a whole GET /evidence/{id} (measured with the index in order).
    const rows = this.db.prepare('SELECT * FROM archive_objects WHERE evidence_id = ?').all(evidenceId) as Record<
      string,
      unknown
    >[];
    return rows
      .map((r) => ({ r, key: Buffer.from(r.key as string, 'utf8') }))
      .sort((a, b) => Buffer.compare(a.key, b.key))
      .map(({ r }) => fromRaw(r));
  }

  /** The object stored last, with its version (the readiness probe heads it), or null for an empty archive. */
  newest(): { key: string; versionId: string | null } | null {
    const row = this.db.prepare('SELECT key, version_id FROM archive_objects ORDER BY stored_at DESC LIMIT 1').get() as
      { key: string; version_id: string | null } | undefined;
    return row ? { key: row.key, versionId: row.version_id } : null;
  }

  setItemLegalHold(evidenceId: string, on: boolean): void {
    this.db.prepare('UPDATE archive_objects SET legal_hold = ? WHERE evidence_id = ?').run(on ? 1 : 0, evidenceId);
  }

  /** Moves retain-until later (never earlier) on every object of the item. */
  extendItemRetention(evidenceId: string, until: string): void {
    this.db
      .prepare(
        'UPDATE archive_objects SET retain_until = ? WHERE evidence_id = ? AND (retain_until IS NULL OR retain_until < ?)',
      )
      .run(until, evidenceId, until);
  }
}
