// `sealdock docks check`: for every entry on every dock, is its content archived and verified
// (by SHA-256, whatever its name), still in the pipeline, not taken yet, or deliberately not
// taken and why. The answer an admin needs before wiping a dock, so "safe" is strict: every
// regular file with content must be archived and verified (or be a sidecar sealed into an
// archived item's manifest); only entries that hold no data of their own may be left behind.
import fsp from 'node:fs/promises';
import type { DockConfig } from '../config/schema.js';
import { isSidecarName } from '../intake/sidecar-names.js';
import { displayName, exactNameOf, type ExactName } from '../util/file-names.js';
import { sha256File } from '../util/hash.js';
import { baseName, NOT_TAKEN_EXPLAINED, type NotTakenReason } from './names.js';
import { scanDock } from './scan.js';

export type CheckStatus = 'archived' | 'pending' | 'waiting' | 'not-taken';

export interface CheckedEntry {
  dockId: string;
  /** shown escaped; `exactPath` is the path byte for byte */
  path: string;
  exactPath: ExactName;
  status: CheckStatus;
  /** can the dock lose this entry without losing evidence? */
  safeToWipe: boolean;
  size?: number;
  sha256?: string;
  evidenceId?: string;
  state?: string;
  reason?: NotTakenReason | 'sidecar';
  detail: string;
}

/** What the check asks the catalog: the item holding this content, and whether its original is verified. */
export interface CheckCatalog {
  itemBySha256(sha256: string): { id: string; state: string; originalVerified: boolean } | null;
  /** an item whose accepted sidecar had exactly these bytes */
  itemBySidecarSha256(sha256: string): { id: string; originalVerified: boolean } | null;
}

// Entries with no data of their own: leaving them behind loses nothing.
const HOLDS_NO_DATA: ReadonlySet<NotTakenReason> = new Set(['symlink', 'fifo', 'socket', 'device', 'empty']);

export async function checkDock(dock: DockConfig, maxDepth: number, catalog: CheckCatalog): Promise<CheckedEntry[]> {
  const out: CheckedEntry[] = [];
  for await (const e of scanDock(dock.path, maxDepth)) {
    const base = { dockId: dock.id, path: displayName(e.rel), exactPath: exactNameOf(e.rel) };
    if (e.kind === 'not-taken') {
      const st = await fsp.lstat(e.abs).catch(() => null);
      // A hidden or temporary name that is an empty file holds nothing either.
      const empty = st?.isFile() === true && st.size === 0;
      out.push({
        ...base,
        status: 'not-taken',
        reason: e.reason,
        safeToWipe: HOLDS_NO_DATA.has(e.reason) || empty,
        ...(st?.isFile() ? { size: st.size } : {}),
        detail: NOT_TAKEN_EXPLAINED[e.reason],
      });
      continue;
    }
    const st = await fsp.lstat(e.abs).catch(() => null);
    if (!st?.isFile()) continue; // gone while we walked
    if (st.size === 0) {
      out.push({
        ...base,
        status: 'not-taken',
        reason: 'empty',
        safeToWipe: true,
        size: 0,
        detail: NOT_TAKEN_EXPLAINED.empty,
      });
      continue;
    }
    let sha256: string;
    try {
      sha256 = (await sha256File(e.abs)).sha256;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      out.push({
        ...base,
        status: 'not-taken',
        reason: 'unreadable',
        safeToWipe: false,
        size: st.size,
        detail: `${NOT_TAKEN_EXPLAINED.unreadable} (${code})`,
      });
      continue;
    }
    const item = catalog.itemBySha256(sha256);
    if (item) {
      out.push({
        ...base,
        status: item.originalVerified ? 'archived' : 'pending',
        safeToWipe: item.originalVerified,
        size: st.size,
        sha256,
        evidenceId: item.id,
        state: item.state,
        detail: item.originalVerified
          ? `content archived and verified as ${item.id}`
          : `content is ${item.id} (${item.state}): not verified in the archive yet`,
      });
      continue;
    }
    if (isSidecarName(baseName(e.rel))) {
      const owner = catalog.itemBySidecarSha256(sha256);
      out.push({
        ...base,
        status: owner?.originalVerified ? 'archived' : 'not-taken',
        reason: 'sidecar',
        safeToWipe: owner?.originalVerified ?? false,
        size: st.size,
        sha256,
        ...(owner ? { evidenceId: owner.id } : {}),
        detail: owner
          ? owner.originalVerified
            ? `sidecar sealed into the manifest of ${owner.id}`
            : `sidecar of ${owner.id}, not verified in the archive yet`
          : 'sidecar not applied (rejected, or its footage not taken yet): fix it or annotate instead',
      });
      continue;
    }
    out.push({
      ...base,
      status: 'waiting',
      safeToWipe: false,
      size: st.size,
      sha256,
      detail: 'not taken yet (settling, an incomplete copy within its grace, or the daemon is not running)',
    });
  }
  return out;
}
