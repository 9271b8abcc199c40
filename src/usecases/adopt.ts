// Adoption: the archive already holds an item this daemon has just taken — the catalog was lost,
// the data dir is fresh, or a second site shares the bucket and docked the same file. The archive
// is the system of record, and the evidence id is the content's hash, so the two are one item:
// its sealed revisions are checked as `reindex` checks them (seals, chain, each object against
// the backend), the catalog row takes what they say, and the dock file is released as usual.
// Nothing archived is rewritten; a revision that does not verify is never adopted.
import type { ArchiveBackend } from '../archive/archive.js';
import type { EvidenceRecord, EvidenceRepo, RebuiltObject } from '../catalog/evidence-repo.js';
import { SealdockError } from '../errors.js';
import type { SealVerifier } from '../seal/verifier.js';
import { rebuildFromArchive } from './reindex.js';

export async function adoptFromArchive(
  deps: { archive: ArchiveBackend; verifier: SealVerifier; repo: EvidenceRepo; actor: string },
  item: EvidenceRecord,
  why: string,
): Promise<EvidenceRecord> {
  const rebuilt = await rebuildFromArchive(deps, item.id);
  if (!rebuilt.ok) {
    throw new SealdockError(
      'ARCHIVE_CONFLICT',
      `the archive already holds evidence ${item.id}, but it does not verify, so it is not adopted: ${rebuilt.problems.join('; ')}`,
      { problems: rebuilt.problems },
    );
  }
  if (rebuilt.record.sha256 !== item.sha256 || rebuilt.record.size !== item.size) {
    throw new SealdockError(
      'ARCHIVE_CONFLICT',
      `the archive's evidence ${item.id} names original ${rebuilt.record.sha256} (${rebuilt.record.size} bytes), not ours`,
    );
  }
  // Each object checked against its sealed SHA-256 by the backend, as our own archive writes are.
  const objects: RebuiltObject[] = [];
  for (const o of rebuilt.objects) {
    const check = await deps.archive.verify(o.key, { sha256: o.sha256, size: o.size });
    if (!check.ok) {
      throw new SealdockError(
        'VERIFY_FAILED',
        `evidence ${item.id}: archived ${o.key} did not verify, so it is not adopted: ${check.problem ?? 'mismatch'}`,
      );
    }
    objects.push({ ...o, hashed: true });
  }
  return deps.repo.adoptRebuilt(rebuilt.record, objects, deps.actor, { why, localState: item.state });
}
