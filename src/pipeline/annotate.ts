// Explicit annotation (CLI and API): the strongest source of an element. Every changed element is
// audited with who, when, the old and the new value; an amendment never rewrites a sealed
// manifest, it sends the item round for a new revision.
import type { DevicesRepo } from '../catalog/devices-repo.js';
import type { EvidenceRecord, EvidenceRepo } from '../catalog/evidence-repo.js';
import type { Config } from '../config/schema.js';
import { elementChanges } from '../elements/resolve.js';
import type { Elements } from '../elements/types.js';
import { validateElements } from '../elements/validate.js';
import { SealdockError } from '../errors.js';
import { dockOf } from './context.js';
import { resolveItemElements, type ItemMedia } from './item-elements.js';
import { stateAfterAnnotation } from './states.js';

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

  return deps.repo.db
    .transaction(() => {
      const item = deps.repo.get(id);
      if (!item) throw new SealdockError('NOT_FOUND', `no evidence ${JSON.stringify(id)}`);
      const annotation: Elements = { ...item.annotation, ...validated.elements };
      const resolved = resolveItemElements({ ...item, annotation }, item.media as ItemMedia | null, {
        dock: dockOf(deps.config, item.dockId),
        devices: deps.devices,
      });
      const changes = elementChanges(item.elements, resolved.elements);
      const state = changes.length ? stateAfterAnnotation(item.state, resolved.missing.length === 0) : item.state;
      for (const c of changes) {
        deps.repo.appendAudit({
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
        { annotation, elements: resolved.elements, elementSources: resolved.sources, missing: resolved.missing, state },
        state !== item.state
          ? { actor, action: state, details: { from: item.state, reason: 'annotation' } }
          : undefined,
      );
      return { item: updated, changes };
    })
    .immediate();
}
