// Putting an item's objects into the archive and proving they are there. An object counts as
// archived only once the backend's copy has been verified against our own SHA-256.
import type { ObjectSource } from '../archive/archive.js';
import { laterOf, legalHoldFor, retainUntil } from '../archive/retention.js';
import type { ArchiveObjectRecord, EvidenceRecord } from '../catalog/evidence-repo.js';
import { SealdockError } from '../errors.js';
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

export async function archiveVerified(
  ctx: PipelineContext,
  evidenceId: string,
  obj: ObjectToArchive,
  lock: LockTerms,
): Promise<void> {
  const known = ctx.repo.archiveObjects.ofItem(evidenceId).find((o) => o.key === obj.key);
  if (known?.verifiedAt && known.sha256 === obj.sha256) return;
  const stored = await ctx.archive.put(obj.key, obj.source, {
    sha256: obj.sha256,
    size: obj.size,
    contentType: obj.contentType,
    retainUntil: lock.retainUntil,
    legalHold: lock.legalHold,
  });
  ctx.repo.archiveObjects.record({
    key: obj.key,
    evidenceId,
    kind: obj.kind,
    sha256: obj.sha256,
    size: obj.size,
    versionId: stored.versionId ?? null,
    backendChecksum: stored.backendChecksum ?? null,
    retainUntil: lock.retainUntil.toISOString(),
    legalHold: lock.legalHold,
  });
  const check = await ctx.archive.verify(obj.key, { sha256: obj.sha256, size: obj.size });
  if (!check.ok) {
    throw new SealdockError('VERIFY_FAILED', `archived ${obj.key} did not verify: ${check.problem ?? 'mismatch'}`, {
      key: obj.key,
    });
  }
  ctx.repo.archiveObjects.markVerified(obj.key);
  ctx.log.debug(
    { evidenceId, key: obj.key, method: check.method, alreadyPresent: stored.alreadyPresent },
    'archived and verified',
  );
}
