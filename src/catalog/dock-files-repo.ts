// The dock_files table: every dock file taken (or re-docked), and whether it has been released.
import type { AuditLog } from './audit-repo.js';
import type { Db } from './db.js';
import type { ExactName, NameEncoding } from '../util/file-names.js';
import { nowIso } from '../util/time.js';

export interface DockFileRecord {
  id: number;
  dockId: string;
  /** the dock-relative path, exact: text when its bytes are UTF-8, else base64 (relPathEncoding) */
  relPath: string;
  relPathEncoding: NameEncoding;
  size: number;
  mtimeMs: number;
  /** inode and ctime at intake (null for pushed uploads): unchanged ⇒ the bytes are the ones archived */
  ino: number | null;
  ctimeMs: number | null;
  sha256: string;
  evidenceId: string;
  deviceId: string | null;
  seenAt: string;
  releasedAt: string | null;
  releaseAction: string | null;
}

export type NewDockFile = Omit<DockFileRecord, 'id' | 'seenAt' | 'releasedAt' | 'releaseAction'>;

function dockFileFromRaw(r: Record<string, unknown>): DockFileRecord {
  return {
    id: r.id as number,
    dockId: r.dock_id as string,
    relPath: r.rel_path as string,
    relPathEncoding: r.rel_path_encoding === 'base64' ? 'base64' : 'utf-8',
    size: r.size as number,
    mtimeMs: r.mtime_ms as number,
    ino: r.ino as number | null,
    ctimeMs: r.ctime_ms as number | null,
    sha256: r.sha256 as string,
    evidenceId: r.evidence_id as string,
    deviceId: r.device_id as string | null,
    seenAt: r.seen_at as string,
    releasedAt: r.released_at as string | null,
    releaseAction: r.release_action as string | null,
  };
}

export class DockFilesRepo {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
  ) {}

  /** Records a dock file taken; part of the caller's transaction (intake or re-dock). */
  insert(f: NewDockFile): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO dock_files (dock_id, rel_path, rel_path_encoding, size, mtime_ms, ino, ctime_ms, sha256, evidence_id, device_id, seen_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        f.dockId,
        f.relPath,
        f.relPathEncoding,
        f.size,
        Math.trunc(f.mtimeMs),
        f.ino,
        f.ctimeMs === null ? null : Math.trunc(f.ctimeMs),
        f.sha256,
        f.evidenceId,
        f.deviceId,
        nowIso(),
      );
  }

  /**
   * The dock file as already taken: same place, size and mtime, and (when known) the same inode
   * and ctime — a recorder whose clock reset can write a new file with equal name, size and mtime.
   */
  find(
    dockId: string,
    relPath: ExactName,
    size: number,
    mtimeMs: number,
    identity?: { ino: number; ctimeMs: number },
  ): DockFileRecord | null {
    const rows = (
      this.db
        .prepare(
          'SELECT * FROM dock_files WHERE dock_id = ? AND rel_path = ? AND rel_path_encoding = ? AND size = ? AND mtime_ms = ?',
        )
        .all(dockId, relPath.value, relPath.encoding, size, Math.trunc(mtimeMs)) as Record<string, unknown>[]
    ).map(dockFileFromRaw);
    if (!identity) return rows[0] ?? null;
    return rows.find((r) => r.ino === identity.ino && r.ctimeMs === Math.trunc(identity.ctimeMs)) ?? null;
  }

  /** The most recent dock file taken from this place (for a sidecar that arrives later). */
  latestAt(dockId: string, relPath: ExactName): DockFileRecord | null {
    const r = this.db
      .prepare(
        'SELECT * FROM dock_files WHERE dock_id = ? AND rel_path = ? AND rel_path_encoding = ? ORDER BY id DESC LIMIT 1',
      )
      .get(dockId, relPath.value, relPath.encoding) as Record<string, unknown> | undefined;
    return r ? dockFileFromRaw(r) : null;
  }

  /** Items with a dock file still to release whose original is verified in the archive. */
  releasableItems(limit: number): string[] {
    return (
      this.db
        .prepare(
          `SELECT DISTINCT df.evidence_id AS id FROM dock_files df
           JOIN evidence e ON e.id = df.evidence_id
           JOIN archive_objects ao ON ao.evidence_id = e.id AND ao.kind = 'original' AND ao.sha256 = e.sha256 AND ao.verified_at IS NOT NULL
           WHERE df.released_at IS NULL LIMIT ?`,
        )
        .all(limit) as { id: string }[]
    ).map((r) => r.id);
  }

  unreleasedOf(evidenceId: string): DockFileRecord[] {
    return (
      this.db
        .prepare('SELECT * FROM dock_files WHERE evidence_id = ? AND released_at IS NULL ORDER BY id')
        .all(evidenceId) as Record<string, unknown>[]
    ).map(dockFileFromRaw);
  }

  markReleased(file: DockFileRecord, action: 'kept' | 'deleted' | 'gone', actor: string): void {
    this.db
      .transaction(() => {
        this.db
          .prepare('UPDATE dock_files SET released_at = ?, release_action = ? WHERE id = ?')
          .run(nowIso(), action, file.id);
        this.audit.append({
          actor,
          action: 'dock-file-released',
          evidenceId: file.evidenceId,
          details: {
            dockId: file.dockId,
            relPath: file.relPath,
            relPathEncoding: file.relPathEncoding,
            release: action,
          },
        });
      })
      .immediate();
  }
}
