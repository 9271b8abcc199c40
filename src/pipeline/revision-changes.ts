// What a new manifest revision changes, for the revision itself to say (a copy must record how,
// when and by whom it was made): pure, from the previous revision's elements, the current ones
// and the audited element changes.
import type { AuditRow } from '../audit/chain.js';
import { elementChanges } from '../elements/resolve.js';
import type { Elements, ElementSources } from '../elements/types.js';
import type { ManifestChange } from '../seal/manifest.js';

/**
 * One entry per element whose value differs from the previous revision. Who, when and why come
 * from the last `element-changed` audit row of that element at or after `since` (the previous
 * revision's createdAt); a change with no such row (e.g. made by a resolution rule) says null.
 */
export function revisionChanges(
  previous: Elements,
  current: Elements,
  sources: ElementSources,
  auditRows: readonly AuditRow[],
  since: string,
): ManifestChange[] {
  return elementChanges(previous, current).map((c) => {
    const row = auditRows
      .filter((r) => r.action === 'element-changed' && r.details.element === c.key && r.at >= since)
      .at(-1);
    const reason = row?.details.reason;
    return {
      element: c.key,
      old: c.old,
      new: c.new,
      source: sources[c.key] ?? null,
      changedBy: row?.actor ?? null,
      changedAt: row?.at ?? null,
      reason: typeof reason === 'string' ? reason : null,
    };
  });
}
