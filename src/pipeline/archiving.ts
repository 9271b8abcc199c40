// Putting an item's objects into the archive and proving they are there. An object counts as
// archived only once the backend's copy has been verified against our own SHA-256.
import type { ObjectSource } from '../archive/archive.js';
import { laterOf, legalHoldFor, retainUntil } from '../archive/retention.js';
import type { ArchiveObjectRecord, EvidenceRecord } from '../catalog/evidence-repo.js';
import { SealdockError, errorMessage } from '../errors.js';
import type { PipelineContext } from './context.js';

export interface LockTerms {
  retainUntil: Date;
  legalHold: boolean;
}

/**
 * recordedAt + retention days (never under 183), and never less than 183 days from now: a device
 * clock stuck in the past must not produce an object whose lock has already run out.
 */
export function lockTermsFor(ctx: Pick<PipelineContext, 'config'>, item: EvidenceRecord, now = new Date()): LockTerms {
  const { days, legalHold } = ctx.config.archive.retention;
  const recorded = item.elements.recordedAt ? new Date(item.elements.recordedAt.start) : new Date(item.receivedAt);
  const until = laterOf(retainUntil(recorded, days), retainUntil(now, days))!;
  const stored = item.retainUntil ? new Date(item.retainUntil) : undefined;
  return {
    retainUntil: laterOf(until, stored)!,
    legalHold: item.legalHold || legalHoldFor(item.elements.purpose, legalHold),
  };
}

export interface ObjectToArchive {
  kind: ArchiveObjectRecord['kind'];
  key: string;
  source: ObjectSource;
  sha256: string;
  size: number;
  contentType: string;
}

type ArchivedRow = Omit<ArchiveObjectRecord, 'storedAt' | 'verifiedAt'>;

/**
 * A stage's objects, each put into the archive and verified (independent ones side by side), and
 * recorded in the catalog together with the stage's own transition: one commit (one fsync, shared
 * with concurrent commits, off the event loop) instead of two per object. An object counts as archived only once recorded verified, and a
 * crash before the commit just puts again (write-once, `alreadyPresent`) and verifies again.
 */
export class ArchiveBatch {
  private readonly rows: ArchivedRow[] = [];
  private known: ArchiveObjectRecord[] | null = null;

  constructor(
    private readonly ctx: PipelineContext,
    private readonly evidenceId: string,
    private readonly lock: LockTerms,
  ) {}

  /** Puts and verifies `obj` (nothing to do when the catalog already has it verified). */
  async put(obj: ObjectToArchive): Promise<void> {
    const { ctx, evidenceId, lock } = this;
    this.known ??= ctx.repo.archiveObjects.ofItem(evidenceId);
    const known = this.known.find((o) => o.key === obj.key);
    if (known?.verifiedAt && known.sha256 === obj.sha256) return;
    const stored = await ctx.archive.put(obj.key, obj.source, {
      sha256: obj.sha256,
      size: obj.size,
      contentType: obj.contentType,
      retainUntil: lock.retainUntil,
      legalHold: lock.legalHold,
    });
    const row: ArchivedRow = {
      key: obj.key,
      evidenceId,
      kind: obj.kind,
      sha256: obj.sha256,
      size: obj.size,
      versionId: stored.versionId ?? null,
      backendChecksum: stored.backendChecksum ?? null,
      retainUntil: lock.retainUntil.toISOString(),
      legalHold: lock.legalHold,
    };
    const check = await ctx.archive.verify(obj.key, { sha256: obj.sha256, size: obj.size });
    if (!check.ok) {
      // In the archive but not verified: recorded as such (its version, for the reads that follow).
      ctx.repo.archiveObjects.record(row);
      throw new SealdockError('VERIFY_FAILED', `archived ${obj.key} did not verify: ${check.problem ?? 'mismatch'}`, {
        key: obj.key,
      });
    }
    this.rows.push(row);
    ctx.log.debug(
      { evidenceId, key: obj.key, method: check.method, alreadyPresent: stored.alreadyPresent },
      'archived and verified',
    );
  }

  /**
   * Records every object verified so far as verified, and runs `transition` (given the item as it
   * is now) in the same transaction; resolves once that commit is durable.
   */
  async commit<T>(transition: (current: EvidenceRecord | null) => T): Promise<T> {
    const { repo } = this.ctx;
    const recorded = this.rows.length;
    const result = await repo.commitDurably(() =>
      repo.readModifyWrite(this.evidenceId, (current) => {
        for (const row of this.rows.slice(0, recorded)) {
          repo.archiveObjects.record(row);
          repo.archiveObjects.markVerified(row.key);
        }
        return transition(current);
      }),
    );
    this.rows.splice(0, recorded);
    return result;
  }

  /**
   * Runs a stage's archiving. Should it fail, what was verified before the failure is recorded
   * first, so that the retry does not put and verify it again.
   */
  static async run<T>(
    ctx: PipelineContext,
    evidenceId: string,
    lock: LockTerms,
    work: (batch: ArchiveBatch) => Promise<T>,
  ): Promise<T> {
    const batch = new ArchiveBatch(ctx, evidenceId, lock);
    try {
      return await work(batch);
    } catch (err) {
      if (batch.rows.length > 0) {
        try {
          await batch.commit(() => undefined);
        } catch (recordErr) {
          ctx.log.warn(
            { evidenceId, err: errorMessage(recordErr) },
            'could not record the objects verified before a failure; the retry verifies them again',
          );
        }
      }
      throw err;
    }
  }
}
