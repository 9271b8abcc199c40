// A sidecar that lands on the dock after its footage was taken (docks often write the JSON
// last), or is corrected later: applied to the item as its sidecar source and audited.
import type { DevicesRepo } from '../catalog/devices-repo.js';
import type { EvidenceRepo } from '../catalog/evidence-repo.js';
import type { Config, DockConfig } from '../config/schema.js';
import { DAEMON_ACTOR, readSidecarFile } from '../intake/intake-service.js';
import { footageNameOf } from '../intake/sidecar-names.js';
import { applyLateSidecar } from '../usecases/annotate.js';
import { exactNameOf } from '../util/file-names.js';

/** Returns true when the item's elements changed (the pipeline should look for work). */
export async function takeLateSidecar(
  deps: { repo: EvidenceRepo; devices: DevicesRepo; config: Config },
  dock: DockConfig,
  relPath: Buffer,
  absPath: Buffer,
): Promise<boolean> {
  const footage = deps.repo.dockFiles.latestAt(dock.id, exactNameOf(footageNameOf(relPath)));
  if (!footage) return false; // footage not taken yet: its intake reads the sidecar itself
  const sidecar = await readSidecarFile(absPath, deps.config);
  if (!sidecar) return false;
  const result = applyLateSidecar(deps, footage.evidenceId, sidecar, DAEMON_ACTOR);
  return Boolean(result?.changes.length);
}
