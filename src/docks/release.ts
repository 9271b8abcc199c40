// Releasing a dock file: only after the archived original has been verified, and, when the dock
// deletes, only if the file on the dock still holds exactly the content that was archived.
import fsp from 'node:fs/promises';
import type { Logger } from 'pino';
import type { EvidenceRepo } from '../catalog/evidence-repo.js';
import type { Config } from '../config/schema.js';
import { PUSH_PREFIX } from '../intake/intake-service.js';
import { sidecarNameFor } from '../intake/sidecar-names.js';
import { displayName, exactNameBytes } from '../util/file-names.js';
import { fsyncPath } from '../util/fsync.js';
import { sha256File } from '../util/hash.js';
import { joinDockPath, splitRelPath } from './names.js';

export async function releaseDockFiles(
  deps: { config: Config; repo: EvidenceRepo; log: Logger },
  evidenceId: string,
  actor: string,
): Promise<void> {
  // What is read here may have been committed a moment ago by a stage whose fsync is still running
  // (commitDurably): nothing is deleted on a record that is not yet durable.
  await deps.repo.durable();
  const item = deps.repo.get(evidenceId);
  if (!item) return;
  const originalArchived = deps.repo.archiveObjects
    .ofItem(evidenceId)
    .some((o) => o.kind === 'original' && o.verifiedAt && o.sha256 === item.sha256);
  if (!originalArchived)
    throw new Error(`refusing to release dock files of ${evidenceId}: original not verified in the archive`);

  for (const file of deps.repo.dockFiles.unreleasedOf(evidenceId)) {
    const dock = deps.config.docks.find((d) => d.id === file.dockId);
    const rel = exactNameBytes({ value: file.relPath, encoding: file.relPathEncoding });
    const shown = displayName(rel);
    const pushed = rel.subarray(0, PUSH_PREFIX.length).toString('latin1') === PUSH_PREFIX && file.ino === null;
    if (!dock || dock.release === 'keep' || !splitRelPath(rel) || pushed) {
      await deps.repo.commitDurably(() => deps.repo.dockFiles.markReleased(file, 'kept', actor));
      continue;
    }
    const abs = joinDockPath(dock.path, rel);
    const st = await fsp.lstat(abs).catch(() => null);
    if (!st) {
      await deps.repo.commitDurably(() => deps.repo.dockFiles.markReleased(file, 'gone', actor));
      continue;
    }
    // Same name, size and mtime is not enough to delete evidence: the bytes must be the archived ones.
    // The same inode with an unchanged ctime proves it (nobody can set ctime); otherwise re-read it.
    const untouched =
      st.isFile() && st.ino === file.ino && file.ctimeMs !== null && Math.trunc(st.ctimeMs) === file.ctimeMs;
    if (
      !st.isFile() ||
      st.size !== file.size ||
      Math.trunc(st.mtimeMs) !== file.mtimeMs ||
      (!untouched && (await sha256File(abs)).sha256 !== file.sha256)
    ) {
      deps.log.warn(
        { evidenceId, dockId: dock.id, relPath: shown },
        'dock file changed since intake; kept, and it will be taken as new footage',
      );
      await deps.repo.commitDurably(() => deps.repo.dockFiles.markReleased(file, 'kept', actor));
      continue;
    }
    await fsp.unlink(abs);
    const sidecar = sidecarNameFor(abs);
    // A sidecar with any refused value stays for someone to fix; an accepted one is sealed into the manifest and
    // goes with its footage, unless it was changed since (a correction nobody has applied yet).
    const sidecarNow = (await fsp.lstat(sidecar).catch(() => null))?.isFile() ? await sha256File(sidecar) : null;
    if (
      item.sidecar?.elements &&
      !item.sidecar.problems &&
      item.sidecar.sha256 &&
      sidecarNow?.sha256 === item.sidecar.sha256
    )
      await fsp.unlink(sidecar);
    else if (sidecarNow)
      deps.log.warn(
        { evidenceId, sidecar: displayName(sidecar) },
        'sidecar kept on the dock: rejected or changed since intake',
      );
    // Some dock filesystems (SMB, FAT) cannot fsync a directory; the unlink stands regardless.
    await fsyncPath(abs.subarray(0, abs.lastIndexOf(0x2f))).catch(() => undefined);
    await deps.repo.commitDurably(() => deps.repo.dockFiles.markReleased(file, 'deleted', actor));
    deps.log.info({ evidenceId, dockId: dock.id, relPath: shown }, 'dock file deleted after verified archive');
  }
}
