// The CLI's part in keeping the audit tail sealed. The daemon seals new rows every
// audit.sealIntervalMs; with no daemon on this data dir, rows a CLI command writes (a legal hold,
// a release, an export) would wait unsealed, and lost with the catalog, until the next start. So a
// command that acts on archived evidence seals them itself, under the same data-dir lock the daemon
// holds, so the two never write segments at once.
import type { ArchiveBackend } from '../archive/archive.js';
import { sealConfigOf } from '../config/adapters.js';
import type { Config } from '../config/schema.js';
import { SealdockError } from '../errors.js';
import { createLogger } from '../logging.js';
import { createSealService } from '../seal/index.js';
import { writeAuditSegments } from '../usecases/audit-segments.js';
import { acquireDataDirLock } from '../util/data-dir-lock.js';
import type { CatalogHandle } from './context.js';

type SealFn = { seal(bytes: Buffer): Promise<import('../seal/types.js').SealOutput> };

/** Seals every unsealed row when no daemon runs; returns false (the daemon seals them) when one does. */
export async function sealAuditTailUnlessDaemonRuns(
  config: Config,
  cat: CatalogHandle,
  archive: ArchiveBackend,
  seal: SealFn = createSealService(sealConfigOf(config), createLogger('silent')),
): Promise<boolean> {
  let lock: Awaited<ReturnType<typeof acquireDataDirLock>>;
  try {
    lock = await acquireDataDirLock(config.dataDir);
  } catch {
    return false;
  }
  try {
    await writeAuditSegments({ repo: cat.repo, archive, seal, retentionDays: config.archive.retention.days });
    return true;
  } finally {
    await lock.release();
  }
}

/**
 * Every audit row up to `upToSeq` inside a sealed segment: sealed here when no daemon runs, else
 * waited for (the daemon's next sealing is at most audit.sealIntervalMs away).
 */
export async function ensureAuditSealed(
  config: Config,
  cat: CatalogHandle,
  archive: ArchiveBackend,
  seal: SealFn,
  upToSeq: number,
): Promise<void> {
  if (cat.repo.auditSegments.lastSealedSeq() >= upToSeq) return;
  if (await sealAuditTailUnlessDaemonRuns(config, cat, archive, seal)) return;
  const deadline = Date.now() + config.audit.sealIntervalMs + 30_000;
  while (cat.repo.auditSegments.lastSealedSeq() < upToSeq) {
    if (Date.now() > deadline) {
      throw new SealdockError(
        'CONFLICT',
        'the running daemon has not sealed the audit rows of these items yet: check its log, then export again',
      );
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
