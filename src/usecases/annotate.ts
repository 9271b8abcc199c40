// Explicit annotation (CLI and API): the strongest source of an element. Every changed element is
// audited with who, when, the old and the new value; an amendment never rewrites a sealed
// manifest, it sends the item round for a new revision.
import type { DevicesRepo } from '../catalog/devices-repo.js';
import type { EvidencePatch, EvidenceRecord, EvidenceRepo, SidecarRecord } from '../catalog/evidence-repo.js';
import type { Config } from '../config/schema.js';
import { elementChanges } from '../elements/resolve.js';
import { validateElements } from '../elements/validate.js';
import { SealdockError } from '../errors.js';
import { sidecarRejectionAudit } from '../intake/intake-service.js';
import { dockOf } from '../pipeline/context.js';
import { readyToDerive, resolveItemElements, type ItemMedia } from '../pipeline/item-elements.js';
import { stateAfterAnnotation } from '../pipeline/states.js';

export interface AnnotationResult {
  item: EvidenceRecord;
  changes: { key: string; old: unknown; new: unknown }[];
}

export function annotate(
  deps: { repo: EvidenceRepo; devices: DevicesRepo; config: Config },
  id: string,
  input: Record<string, unknown>,
  actor: string,
  reason?: string,
): AnnotationResult {
  const validated = validateElements(input, deps.config.elements.caseNumberPattern);
  if (!validated.ok)
    throw new SealdockError('ELEMENT_INVALID', `annotation rejected: ${validated.problems.join('; ')}`, {
      problems: validated.problems,
    });
  if (Object.keys(validated.elements).length === 0)
    throw new SealdockError('USAGE', 'nothing to annotate: give at least one element');

  return applySourceChange(
    deps,
    id,
    (item) => ({ annotation: { ...item.annotation, ...validated.elements } }),
    actor,
    reason ?? null,
    'annotation',
  );
}

/**
 * A sidecar that arrived (or changed) after its footage was taken: applied as the sidecar source,
 * below any annotation. A sidecar already applied (same bytes) changes nothing.
 */
export function applyLateSidecar(
  deps: { repo: EvidenceRepo; devices: DevicesRepo; config: Config },
  id: string,
  sidecar: SidecarRecord,
  actor: string,
): AnnotationResult | null {
  const item = deps.repo.get(id);
  if (!item || (item.sidecar?.sha256 && item.sidecar.sha256 === sidecar.sha256)) return null;
  if (sidecar.problems) deps.repo.audit.append({ ...sidecarRejectionAudit(id, sidecar), actor });
  if (!sidecar.elements) {
    // Rejected whole: keep what an earlier, valid sidecar gave; record why this one was refused.
    deps.repo.update(id, { sidecar: item.sidecar?.elements ? item.sidecar : sidecar });
    return null;
  }
  return applySourceChange(
    deps,
    id,
    () => ({ sidecar }),
    actor,
    `sidecar ${sidecar.name} arrived after the footage`,
    'sidecar',
  );
}

/**
 * A device binding added (or changed) after footage arrived: every item of that recorder is
 * resolved again. Precedence decides as always, so only items whose recording time falls in a
 * binding and whose collector has no stronger source (annotation, sidecar) change; each change is
 * audited, and settled items go round for a new sealed revision.
 */
export function applyBindingBackwards(
  deps: { repo: EvidenceRepo; devices: DevicesRepo; config: Config },
  deviceId: string,
  actor: string,
): AnnotationResult[] {
  const changed: AnnotationResult[] = [];
  for (const item of deps.repo.iterate({ deviceId })) {
    const result = applySourceChange(deps, item.id, () => ({}), actor, `device ${deviceId} binding changed`, 'binding');
    if (result.changes.length) changed.push(result);
  }
  return changed;
}

function applySourceChange(
  deps: { repo: EvidenceRepo; devices: DevicesRepo; config: Config },
  id: string,
  patchOf: (item: EvidenceRecord) => Pick<EvidencePatch, 'annotation' | 'sidecar'>,
  actor: string,
  reason: string | null,
  cause: 'annotation' | 'sidecar' | 'binding',
): AnnotationResult {
  return deps.repo.readModifyWrite(id, (item) => {
    if (!item) throw new SealdockError('NOT_FOUND', `no evidence ${JSON.stringify(id)}`);
    const patch = patchOf(item);
    const resolved = resolveItemElements({ ...item, ...patch }, item.media as ItemMedia | null, {
      dock: dockOf(deps.config, item.dockId),
      devices: deps.devices,
    });
    const changes = elementChanges(item.elements, resolved.elements);
    const state = changes.length ? stateAfterAnnotation(item.state, readyToDerive(resolved, deps.config)) : item.state;
    for (const c of changes) {
      deps.repo.audit.append({
        actor,
        action: 'element-changed',
        evidenceId: id,
        details: {
          element: c.key,
          old: c.old,
          new: c.new,
          source: resolved.sources[c.key] ?? null,
          ...(reason ? { reason } : {}),
        },
      });
    }
    const updated = deps.repo.update(
      id,
      { ...patch, elements: resolved.elements, elementSources: resolved.sources, missing: resolved.missing, state },
      state !== item.state ? { actor, action: state, details: { from: item.state, reason: cause } } : undefined,
    );
    return { item: updated, changes };
  });
}
