// Legal hold and retention for every archived object of an item. A hold keeps an item beyond
// its retention (永久保存 when used as evidence); retention only ever moves later. Both are
// recorded in the audit log with who and why.
import type { ArchiveBackend } from '../archive/archive.js';
import type { EvidenceRepo } from '../catalog/evidence-repo.js';
import { SealdockError } from '../errors.js';

export async function setItemLegalHold(
  deps: { archive: ArchiveBackend; repo: EvidenceRepo },
  id: string,
  on: boolean,
  actor: string,
  reason?: string,
): Promise<{ objects: number }> {
  const item = deps.repo.get(id);
  if (!item) throw new SealdockError('NOT_FOUND', `no evidence ${JSON.stringify(id)}`);
  const objects = deps.repo.archiveObjects.ofItem(id);
  if (objects.length === 0)
    throw new SealdockError('CONFLICT', `${id} has nothing in the archive yet; try again once it is preserved`);
  // Flag first, so objects archived from now on get the hold too; then the archived ones.
  deps.repo.update(
    id,
    { legalHold: on },
    {
      actor,
      action: on ? 'legal-hold-set' : 'legal-hold-released',
      details: { objects: objects.length, ...(reason ? { reason } : {}) },
    },
  );
  for (const o of objects) await deps.archive.setLegalHold(o.key, on);
  deps.repo.archiveObjects.setItemLegalHold(id, on);
  return { objects: objects.length };
}

export async function extendItemRetention(
  deps: { archive: ArchiveBackend; repo: EvidenceRepo },
  id: string,
  until: Date,
  actor: string,
  reason?: string,
): Promise<{ objects: number; retainUntil: string }> {
  const item = deps.repo.get(id);
  if (!item) throw new SealdockError('NOT_FOUND', `no evidence ${JSON.stringify(id)}`);
  if (Number.isNaN(until.getTime())) throw new SealdockError('USAGE', 'not a valid date');
  if (item.retainUntil && until.getTime() <= Date.parse(item.retainUntil)) {
    throw new SealdockError(
      'CONFLICT',
      `${id} is already retained until ${item.retainUntil}; retention is never shortened`,
    );
  }
  const objects = deps.repo.archiveObjects.ofItem(id);
  for (const o of objects) await deps.archive.extendRetention(o.key, until);
  const iso = until.toISOString();
  deps.repo.archiveObjects.extendItemRetention(id, iso);
  deps.repo.update(
    id,
    { retainUntil: iso },
    {
      actor,
      action: 'retention-extended',
      details: { from: item.retainUntil, to: iso, objects: objects.length, ...(reason ? { reason } : {}) },
    },
  );
  return { objects: objects.length, retainUntil: iso };
}
