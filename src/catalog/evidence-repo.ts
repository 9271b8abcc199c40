// Evidence rows, their archive objects and the dock files they came from. Every state change
// is written together with its audit row in one transaction.
import type { Db } from './db.js';
import { ArchiveObjectsRepo, type ArchiveObjectRecord } from './archive-objects-repo.js';
import { AuditLog, type AuditEntry } from './audit-repo.js';
import type { AuditRow } from '../audit/chain.js';
import { AuditSegmentsRepo } from './audit-segments-repo.js';
import { DockFilesRepo, type DockFileRecord } from './dock-files-repo.js';
import { DurableCommits } from './durable-commits.js';
import { PlaybackTicketsRepo } from './playback-tickets-repo.js';
import { ReportQueries } from './report-queries.js';
import {
  elementsColumn,
  elementSourcesColumn,
  exactNameColumn,
  missingColumn,
  objectColumn,
  readJson,
  sidecarColumn,
} from './json-columns.js';
import type { ElementKey, Elements, ElementSources } from '../elements/types.js';
import { assertStateChange, type State } from '../pipeline/states.js';
import type { ExactName } from '../util/file-names.js';
import { nowIso } from '../util/time.js';

export type { ArchiveObjectRecord } from './archive-objects-repo.js';
export type { DockFileRecord } from './dock-files-repo.js';

export interface EvidenceRecord {
  id: string;
  sha256: string;
  size: number;
  /** the name as shown (displayName: escaped, NFC); the exact bytes are in originalNameExact */
  originalName: string;
  /** the name byte for byte; null on items catalogued before exact names were recorded */
  originalNameExact: ExactName | null;
  /** the dock-relative path byte for byte (`push/<name>` for uploads) */
  originalPath: ExactName | null;
  /** where the original is archived; null on older items (legacyArchiveFileName) */
  originalKey: string | null;
  dockId: string;
  deviceId: string | null;
  receivedAt: string;
  state: State;
  /** When failed: the state to go back to on retry, the stage that failed and why. */
  resumeState: State | null;
  stage: string | null;
  error: string | null;
  attempts: number;
  nextAttemptAt: string | null;
  spoolPath: string | null;
  /** Values given explicitly (CLI/API), strongest source. */
  annotation: Elements;
  /** The sidecar as found at intake: its elements, or why it was rejected whole. */
  sidecar: SidecarRecord | null;
  /** The resolved five elements and where each came from. */
  elements: Elements;
  elementSources: ElementSources;
  missing: ElementKey[];
  media: unknown;
  derivative: unknown;
  manifestRev: number;
  manifestSha256: string | null;
  legalHold: boolean;
  retainUntil: string | null;
  progress: number | null;
  updatedAt: string;
}

interface RawEvidence {
  id: string;
  sha256: string;
  size: number;
  original_name: string;
  original_name_exact: string | null;
  original_path: string | null;
  original_key: string | null;
  dock_id: string;
  device_id: string | null;
  received_at: string;
  state: State;
  resume_state: State | null;
  stage: string | null;
  error: string | null;
  attempts: number;
  next_attempt_at: string | null;
  spool_path: string | null;
  annotation: string;
  sidecar: string | null;
  elements: string;
  element_sources: string;
  missing: string;
  media: string | null;
  derivative: string | null;
  manifest_rev: number;
  manifest_sha256: string | null;
  legal_hold: number;
  retain_until: string | null;
  progress: number | null;
  updated_at: string;
}

function fromRaw(r: RawEvidence): EvidenceRecord {
  return {
    id: r.id,
    sha256: r.sha256,
    size: r.size,
    originalName: r.original_name,
    originalNameExact: readJson(exactNameColumn, r.original_name_exact, `evidence.original_name_exact (${r.id})`),
    originalPath: readJson(exactNameColumn, r.original_path, `evidence.original_path (${r.id})`),
    originalKey: r.original_key,
    dockId: r.dock_id,
    deviceId: r.device_id,
    receivedAt: r.received_at,
    state: r.state,
    resumeState: r.resume_state,
    stage: r.stage,
    error: r.error,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    spoolPath: r.spool_path,
    annotation: readJson(elementsColumn, r.annotation, `evidence.annotation (${r.id})`) as Elements,
    sidecar: readJson(sidecarColumn, r.sidecar, `evidence.sidecar (${r.id})`) as SidecarRecord | null,
    elements: readJson(elementsColumn, r.elements, `evidence.elements (${r.id})`) as Elements,
    elementSources: readJson(elementSourcesColumn, r.element_sources, `evidence.element_sources (${r.id})`),
    missing: readJson(missingColumn, r.missing, `evidence.missing (${r.id})`),
    media: readJson(objectColumn, r.media, `evidence.media (${r.id})`),
    derivative: readJson(objectColumn, r.derivative, `evidence.derivative (${r.id})`),
    manifestRev: r.manifest_rev,
    manifestSha256: r.manifest_sha256,
    legalHold: r.legal_hold === 1,
    retainUntil: r.retain_until,
    progress: r.progress,
    updatedAt: r.updated_at,
  };
}

/** Columns a stage may change, in record terms. */
export type EvidencePatch = Partial<
  Pick<
    EvidenceRecord,
    | 'state'
    | 'resumeState'
    | 'stage'
    | 'error'
    | 'attempts'
    | 'nextAttemptAt'
    | 'spoolPath'
    | 'annotation'
    | 'sidecar'
    | 'elements'
    | 'elementSources'
    | 'missing'
    | 'media'
    | 'derivative'
    | 'manifestRev'
    | 'manifestSha256'
    | 'legalHold'
    | 'retainUntil'
    | 'progress'
    | 'deviceId'
  >
>;

const COLUMN: Record<keyof EvidencePatch, string> = {
  state: 'state',
  resumeState: 'resume_state',
  stage: 'stage',
  error: 'error',
  attempts: 'attempts',
  nextAttemptAt: 'next_attempt_at',
  spoolPath: 'spool_path',
  annotation: 'annotation',
  sidecar: 'sidecar',
  elements: 'elements',
  elementSources: 'element_sources',
  missing: 'missing',
  media: 'media',
  derivative: 'derivative',
  manifestRev: 'manifest_rev',
  manifestSha256: 'manifest_sha256',
  legalHold: 'legal_hold',
  retainUntil: 'retain_until',
  progress: 'progress',
  deviceId: 'device_id',
};

const JSON_COLUMNS = new Set<keyof EvidencePatch>([
  'annotation',
  'sidecar',
  'elements',
  'elementSources',
  'missing',
  'media',
  'derivative',
]);

export interface SidecarRecord {
  name: string;
  /** SHA-256 of the sidecar bytes as read: a changed sidecar is never deleted from the dock. */
  sha256?: string | undefined;
  elements?: Elements | undefined;
  /** Why the file was rejected whole (no elements), or one line per refused value (with elements). */
  problems?: string[] | undefined;
  /** Values refused one by one, with their reason; the sidecar's other values were applied. */
  rejected?: { key: string; reason: string }[] | undefined;
}

export type NewEvidence = Pick<
  EvidenceRecord,
  | 'id'
  | 'sha256'
  | 'size'
  | 'originalName'
  | 'originalNameExact'
  | 'originalPath'
  | 'originalKey'
  | 'dockId'
  | 'deviceId'
  | 'sidecar'
  | 'elements'
  | 'elementSources'
  | 'missing'
> & { spoolPath: string };

export interface EvidenceFilter {
  caseNumber?: string | undefined;
  deviceId?: string | undefined;
  state?: State | undefined;
  collector?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** keyset cursor: items received after (receivedAt, id) */
  after?: { receivedAt: string; id: string } | undefined;
  limit?: number | undefined;
}

type DockFileSeen = Omit<DockFileRecord, 'id' | 'evidenceId' | 'seenAt' | 'releasedAt' | 'releaseAction'>;

/**
 * The evidence table, and the way into the other tables of the catalog (one repository each).
 * An item's state changes only in `update`, which checks it against the state machine.
 */
/** An item as the archive's sealed revisions describe it (reindex, adoption). */
export type RebuiltRecord = Omit<
  EvidenceRecord,
  'resumeState' | 'stage' | 'error' | 'attempts' | 'nextAttemptAt' | 'spoolPath' | 'progress' | 'updatedAt'
>;

/** An archived object found while rebuilding; `hashed` = its bytes were checked. */
export interface RebuiltObject {
  key: string;
  kind: ArchiveObjectRecord['kind'];
  sha256: string;
  size: number;
  hashed: boolean;
  versionId?: string | undefined;
}

/** The columns of a rebuilt item, as stored (JSON columns serialised). */
function rebuiltRow(r: RebuiltRecord): Record<string, string | number | null> {
  return {
    id: r.id,
    sha256: r.sha256,
    size: r.size,
    original_name: r.originalName,
    original_name_exact: jsonOrNull(r.originalNameExact),
    original_path: jsonOrNull(r.originalPath),
    original_key: r.originalKey,
    dock_id: r.dockId,
    device_id: r.deviceId,
    received_at: r.receivedAt,
    state: r.state,
    annotation: JSON.stringify(r.annotation),
    sidecar: jsonOrNull(r.sidecar),
    elements: JSON.stringify(r.elements),
    element_sources: JSON.stringify(r.elementSources),
    missing: JSON.stringify(r.missing),
    media: jsonOrNull(r.media),
    derivative: jsonOrNull(r.derivative),
    manifest_rev: r.manifestRev,
    manifest_sha256: r.manifestSha256,
    legal_hold: r.legalHold ? 1 : 0,
    retain_until: r.retainUntil,
    updated_at: nowIso(),
  };
}

export class EvidenceRepo {
  readonly audit: AuditLog;
  readonly dockFiles: DockFilesRepo;
  readonly archiveObjects: ArchiveObjectsRepo;
  readonly auditSegments: AuditSegmentsRepo;
  readonly playbackTickets: PlaybackTicketsRepo;
  readonly reports: ReportQueries;
  readonly durableCommits: DurableCommits;

  constructor(private readonly db: Db) {
    this.durableCommits = new DurableCommits(db);
    this.audit = new AuditLog(db, this.durableCommits);
    this.dockFiles = new DockFilesRepo(db, this.audit);
    this.archiveObjects = new ArchiveObjectsRepo(db);
    this.auditSegments = new AuditSegmentsRepo(db);
    this.playbackTickets = new PlaybackTicketsRepo(db);
    this.reports = new ReportQueries(db);
  }

  /**
   * Reads the item and acts on what it is now, under the write lock: whatever `fn` writes
   * (updates, audit rows) commits together, and nobody changes the item in between.
   */
  readModifyWrite<T>(id: string, fn: (current: EvidenceRecord | null) => T): T {
    return this.db.transaction(() => fn(this.get(id))).immediate();
  }

  /**
   * Runs `fn` (writes of any repository) as one transaction and resolves with its result once it
   * is durable; the fsync waits on the thread pool, shared with other commits (DurableCommits).
   */
  commitDurably<T>(fn: () => T): Promise<T> {
    return this.durableCommits.commit(fn);
  }

  /**
   * Resolves once everything committed so far is durable: access rows (AuditLog.appendDurable) and
   * commitDurably alike. Wait for it before acting irreversibly on rows someone else committed.
   */
  durable(): Promise<void> {
    return this.durableCommits.durable();
  }

  /** Throws when the catalog cannot answer (readiness). */
  ping(): void {
    this.db.prepare('SELECT 1').get();
  }

  get(id: string): EvidenceRecord | null {
    const r = this.db.prepare('SELECT * FROM evidence WHERE id = ?').get(id) as RawEvidence | undefined;
    return r ? fromRaw(r) : null;
  }

  /**
   * One item with its archive objects and custody events, read from one snapshot of the catalog:
   * three separate reads could straddle a commit and show, say, an item already `archived`
   * without its archived event. Null when there is no such item.
   */
  itemView(id: string): { item: EvidenceRecord; objects: ArchiveObjectRecord[]; custody: AuditRow[] } | null {
    return this.db.transaction(() => {
      const item = this.get(id);
      return item ? { item, objects: this.archiveObjects.ofItem(id), custody: this.audit.custody(id) } : null;
    })();
  }

  findBySha256(sha256: string): EvidenceRecord | null {
    const r = this.db.prepare('SELECT * FROM evidence WHERE sha256 = ?').get(sha256) as RawEvidence | undefined;
    return r ? fromRaw(r) : null;
  }

  /** The item whose sidecar, accepted whole, had exactly these bytes (docks check: is a sidecar sealed?). */
  findByAcceptedSidecarSha256(sha256: string): EvidenceRecord | null {
    const r = this.db
      .prepare(
        `SELECT * FROM evidence WHERE json_extract(sidecar, '$.sha256') = ? AND json_extract(sidecar, '$.problems') IS NULL LIMIT 1`,
      )
      .get(sha256) as RawEvidence | undefined;
    return r ? fromRaw(r) : null;
  }

  /** A new item and the dock file it came from, with its audit row, all or nothing. */
  insertReceived(item: NewEvidence, dockFile: DockFileSeen, actor: string): EvidenceRecord {
    return this.db
      .transaction(() => {
        const at = nowIso();
        this.db
          .prepare(
            `INSERT INTO evidence (id, sha256, size, original_name, original_name_exact, original_path, original_key,
             dock_id, device_id, received_at, state, spool_path, sidecar, elements, element_sources, missing, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            item.id,
            item.sha256,
            item.size,
            item.originalName,
            jsonOrNull(item.originalNameExact),
            jsonOrNull(item.originalPath),
            item.originalKey,
            item.dockId,
            item.deviceId,
            at,
            item.spoolPath,
            item.sidecar === null ? null : JSON.stringify(item.sidecar),
            JSON.stringify(item.elements),
            JSON.stringify(item.elementSources),
            JSON.stringify(item.missing),
            at,
          );
        this.dockFiles.insert({ ...dockFile, evidenceId: item.id });
        this.audit.append({
          actor,
          action: 'received',
          evidenceId: item.id,
          details: {
            sha256: item.sha256,
            size: item.size,
            originalName: item.originalName,
            originalNameExact: item.originalNameExact,
            dockId: item.dockId,
            deviceId: item.deviceId,
            relPath: dockFile.relPath,
            relPathEncoding: dockFile.relPathEncoding,
          },
        });
        return this.get(item.id)!;
      })
      .immediate();
  }

  /** An item rebuilt from the archive by `reindex`, with the objects found there. */
  insertRebuilt(r: RebuiltRecord, objects: RebuiltObject[], actor: string): void {
    this.db
      .transaction(() => {
        const row = rebuiltRow(r);
        this.db
          .prepare(
            `INSERT INTO evidence (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row)
              .map(() => '?')
              .join(', ')})`,
          )
          .run(...Object.values(row));
        this.recordRebuiltObjects(r, objects);
        this.audit.append({
          actor,
          action: 'reindexed',
          evidenceId: r.id,
          details: { state: r.state, manifestRevision: r.manifestRev, objects: objects.length },
        });
      })
      .immediate();
  }

  /**
   * Adoption: an item taken here whose objects the archive already holds (a lost catalog, a
   * fresh data dir, a second site on one bucket). The row takes what the archive's sealed
   * revisions say, as `reindex` would enter it; its dock files stay, so they are released.
   * Not a stage outcome: the archive, the system of record, decides the state.
   */
  adoptRebuilt(
    r: RebuiltRecord,
    objects: RebuiltObject[],
    actor: string,
    details: Record<string, unknown>,
  ): EvidenceRecord {
    return this.db
      .transaction(() => {
        const { id, sha256, ...row } = rebuiltRow(r);
        const res = this.db
          .prepare(
            `UPDATE evidence SET ${Object.keys(row)
              .map((c) => `${c} = ?`)
              .join(', ')}, resume_state = NULL, stage = NULL, error = NULL, attempts = 0,
             next_attempt_at = NULL, progress = NULL WHERE id = ? AND sha256 = ?`,
          )
          .run(...Object.values(row), id, sha256);
        if (res.changes !== 1) throw new Error(`evidence ${r.id} with that SHA-256 not found`);
        this.recordRebuiltObjects(r, objects);
        this.audit.append({
          actor,
          action: 'adopted',
          evidenceId: r.id,
          details: { state: r.state, manifestRevision: r.manifestRev, objects: objects.length, ...details },
        });
        return this.get(r.id)!;
      })
      .immediate();
  }

  private recordRebuiltObjects(r: Pick<RebuiltRecord, 'id' | 'retainUntil' | 'legalHold'>, objects: RebuiltObject[]) {
    for (const o of objects) {
      this.archiveObjects.record({
        key: o.key,
        evidenceId: r.id,
        kind: o.kind,
        sha256: o.sha256,
        size: o.size,
        versionId: o.versionId ?? null,
        backendChecksum: null,
        retainUntil: r.retainUntil,
        legalHold: r.legalHold,
      });
      if (o.hashed) this.archiveObjects.markVerified(o.key);
    }
  }

  /** The same content docked again: remembered against the existing item, never a second item. */
  recordRedock(evidenceId: string, dockFile: DockFileSeen, actor: string): void {
    this.db
      .transaction(() => {
        const identity =
          dockFile.ino !== null && dockFile.ctimeMs !== null
            ? { ino: dockFile.ino, ctimeMs: dockFile.ctimeMs }
            : undefined;
        const place = { value: dockFile.relPath, encoding: dockFile.relPathEncoding };
        if (this.dockFiles.find(dockFile.dockId, place, dockFile.size, dockFile.mtimeMs, identity)) return;
        this.dockFiles.insert({ ...dockFile, evidenceId });
        this.audit.append({
          actor,
          action: 'redocked',
          evidenceId,
          details: {
            dockId: dockFile.dockId,
            relPath: dockFile.relPath,
            relPathEncoding: dockFile.relPathEncoding,
            deviceId: dockFile.deviceId,
          },
        });
      })
      .immediate();
  }

  /**
   * Applies a patch and (optionally) its audit row in one transaction. A change of state is
   * checked against the state machine here, the one place where states change.
   */
  update(id: string, patch: EvidencePatch, audit?: AuditEntry): EvidenceRecord {
    return this.db
      .transaction(() => {
        if (patch.state !== undefined) {
          const now = this.db.prepare('SELECT state, resume_state FROM evidence WHERE id = ?').get(id) as
            { state: State; resume_state: State | null } | undefined;
          if (now && now.state !== patch.state) assertStateChange(now.state, now.resume_state, patch.state);
        }
        const sets: string[] = ['updated_at = ?'];
        const args: unknown[] = [nowIso()];
        for (const [k, v] of Object.entries(patch) as [keyof EvidencePatch, unknown][]) {
          if (v === undefined) continue;
          sets.push(`${COLUMN[k]} = ?`);
          args.push(
            JSON_COLUMNS.has(k) ? (v === null ? null : JSON.stringify(v)) : typeof v === 'boolean' ? (v ? 1 : 0) : v,
          );
        }
        args.push(id);
        const res = this.db.prepare(`UPDATE evidence SET ${sets.join(', ')} WHERE id = ?`).run(...args);
        if (res.changes !== 1) throw new Error(`evidence ${id} not found`);
        if (audit) this.audit.append({ ...audit, evidenceId: id });
        return this.get(id)!;
      })
      .immediate();
  }

  /** Items whose state has work to do and whose back-off (if any) has run out, oldest first. */
  due(states: readonly State[], now: string, limit: number, exclude: ReadonlySet<string>): EvidenceRecord[] {
    if (states.length === 0) return [];
    const rows = this.db
      .prepare(
        `SELECT * FROM evidence
         WHERE (state IN (${states.map(() => '?').join(',')}) AND (next_attempt_at IS NULL OR next_attempt_at <= ?))
            OR (state = 'failed' AND resume_state IN (${states.map(() => '?').join(',')}) AND next_attempt_at <= ?)
         ORDER BY received_at, id LIMIT ?`,
      )
      .all(...states, now, ...states, now, limit + exclude.size) as RawEvidence[];
    return rows
      .filter((r) => !exclude.has(r.id))
      .slice(0, limit)
      .map(fromRaw);
  }

  nextDueAt(): string | null {
    const r = this.db
      .prepare(`SELECT MIN(next_attempt_at) AS t FROM evidence WHERE next_attempt_at IS NOT NULL`)
      .get() as { t: string | null };
    return r.t;
  }

  countsByState(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.db.prepare('SELECT state, COUNT(*) AS n FROM evidence GROUP BY state').all() as {
      state: string;
      n: number;
    }[]) {
      out[r.state] = r.n;
    }
    return out;
  }

  /** Failed items by the stage that failed (metrics). */
  failedByStage(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.db
      .prepare(
        `SELECT COALESCE(stage, 'unknown') AS stage, COUNT(*) AS n FROM evidence WHERE state = 'failed' GROUP BY stage`,
      )
      .all() as { stage: string; n: number }[]) {
      out[r.stage] = r.n;
    }
    return out;
  }

  /** Every item matching the filter, page by page (keyset on receivedAt, id): constant memory. */
  *iterate(f: Omit<EvidenceFilter, 'after' | 'limit'> = {}, pageSize = 1000): Generator<EvidenceRecord> {
    let after: EvidenceFilter['after'];
    for (;;) {
      const page = this.list({ ...f, after, limit: pageSize });
      yield* page;
      if (page.length < pageSize) return;
      const last = page.at(-1)!;
      after = { receivedAt: last.receivedAt, id: last.id };
    }
  }

  /**
   * One keyset page, oldest first. Every filter leads an index that ends in (received_at, id)
   * (migration 6), so a page reads `limit` index entries whatever the catalog's size.
   */
  list(f: EvidenceFilter = {}): EvidenceRecord[] {
    const limit = Math.min(Math.max(f.limit ?? 100, 1), 1000);
    const walks = collectorWalks(f).map((extra) => {
      const q = pageQuery(f, extra);
      return (this.db.prepare(q.sql).all(...q.args, limit) as RawEvidence[]).map(fromRaw);
    });
    if (walks.length === 1) return walks[0]!;
    const merged = new Map<string, EvidenceRecord>();
    for (const e of walks.flat()) merged.set(e.id, e);
    return [...merged.values()].sort(byKeyset).slice(0, limit);
  }

  /** The query plan of each walk a listing makes (tests check that every filter is index-driven). */
  listPlan(f: EvidenceFilter = {}): string[] {
    return collectorWalks(f).flatMap((extra) => {
      const q = pageQuery(f, extra);
      return (this.db.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...q.args, 100) as { detail: string }[]).map(
        (r) => r.detail,
      );
    });
  }
}

function jsonOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}

type Clause = [sql: string, value: unknown];

/**
 * A collector matches by name or by badge id: two ordered index walks of at most `limit` rows
 * each, merged in order. An OR of the two would make SQLite collect every match and sort them.
 */
function collectorWalks(f: EvidenceFilter): Clause[][] {
  if (f.collector === undefined) return [[]];
  return [
    [["json_extract(elements, '$.collector.name') = ?", f.collector]],
    [["json_extract(elements, '$.collector.id') = ?", f.collector]],
  ];
}

function pageQuery(f: EvidenceFilter, extra: Clause[]): { sql: string; args: unknown[] } {
  const clauses: Clause[] = [];
  if (f.caseNumber !== undefined) clauses.push([`json_extract(elements, '$.caseNumber') = ?`, f.caseNumber]);
  if (f.deviceId !== undefined) clauses.push(['device_id = ?', f.deviceId]);
  if (f.state !== undefined) clauses.push(['state = ?', f.state]);
  clauses.push(...extra);
  if (f.from !== undefined) clauses.push(['received_at >= ?', f.from]);
  if (f.to !== undefined) clauses.push(['received_at < ?', f.to]);
  const where = clauses.map(([sql]) => sql);
  const args = clauses.map(([, value]) => value);
  if (f.after) {
    where.push('(received_at, id) > (?, ?)');
    args.push(f.after.receivedAt, f.after.id);
  }
  return {
    sql: `SELECT * FROM evidence ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY received_at, id LIMIT ?`,
    args,
  };
}

function byKeyset(x: EvidenceRecord, y: EvidenceRecord): number {
  if (x.receivedAt !== y.receivedAt) return x.receivedAt < y.receivedAt ? -1 : 1;
  return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}
