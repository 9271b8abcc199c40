// `sealdock reindex`: rebuild the catalog from the archive alone. The archive is the system of
// record; every item's sealed manifests are read back and their seals and chain checked before
// the item is (re)entered. Items already in the catalog are left as they are.
import type { ArchiveBackend } from '../archive/archive.js';
import { archiveKeys } from '../archive/keys.js';
import type { PinnedReader } from '../archive/pinned.js';
import type { SealVerifier } from '../seal/verifier.js';
import type { Manifest } from '../seal/manifest.js';
import { ELEMENT_KEYS, type Elements } from '../elements/types.js';
import type { State } from '../pipeline/states.js';
import { sha256Hex } from '../util/hash.js';
import type { EvidenceRepo, RebuiltObject, RebuiltRecord } from '../catalog/evidence-repo.js';
import { verifyEvidence } from './verify-evidence.js';
import { readFirstVersion } from '../archive/pinned.js';
import type { AuditRow } from '../audit/chain.js';

export interface ReindexReport {
  /** Sealed audit segments read back from the archive into an empty audit log. */
  audit: { segmentsRestored: number; rowsRestored: number; problems: string[] };
  scanned: number;
  added: string[];
  alreadyCatalogued: number;
  failed: { id: string; problems: string[] }[];
}

/** The state an item is in when all we know is its latest sealed manifest. */
export function stateFromManifest(m: Manifest): State {
  if (m.media && 'unplayable' in m.media) return 'unplayable';
  // Sealed before any media tool ran: the media step (probe, then classify) decides.
  if (m.revision === 1 && m.media === null) return 'preserved';
  if (m.revision === 1) return m.missingElements.length > 0 ? 'awaiting-annotation' : 'preserved';
  return 'archived';
}

function elementsFrom(m: Manifest, source: string): Elements {
  const out: Elements = {};
  for (const k of ELEMENT_KEYS)
    if (m.elementSources[k] === source && m.elements[k] !== undefined)
      (out as Record<string, unknown>)[k] = m.elements[k];
  return out;
}

/** Every item with anything stored, even if a delete marker hides it from a plain listing. */
export async function* evidenceIds(archive: ArchiveBackend): AsyncIterable<string> {
  let last = '';
  for await (const { key } of archive.versions(archiveKeys.evidencePrefix())) {
    const id = key.split('/')[1];
    if (id && id !== last) {
      last = id;
      yield id;
    }
  }
}

/**
 * Into an empty audit log (a rebuilt catalog), the sealed history from the archive: every segment
 * whose seal verifies, in order, row by row, so the sequence and the chain continue after reindex
 * and the segments stay listed and verified. Stops at the first segment that does not verify or
 * does not continue the chain (later rows could not link); that is a problem in the report.
 */
async function restoreAuditHistory(deps: {
  archive: ArchiveBackend;
  verifier: SealVerifier;
  repo: EvidenceRepo;
}): Promise<ReindexReport['audit']> {
  const out: ReindexReport['audit'] = { segmentsRestored: 0, rowsRestored: 0, problems: [] };
  if (deps.repo.audit.newest() !== undefined) return out;
  const names: string[] = [];
  for await (const key of deps.archive.list('audit/')) {
    const m = /^audit\/(\d{12}-\d{12})\.jsonl$/.exec(key);
    if (m) names.push(m[1]!);
  }
  for (const name of names.sort()) {
    const body = await readFirstVersion(deps.archive, archiveKeys.auditSegment(name));
    const p7s = await readFirstVersion(deps.archive, archiveKeys.auditSignature(name));
    const tsr = await readFirstVersion(deps.archive, `${archiveKeys.auditSegment(name)}.tsr`);
    const check = body && p7s ? deps.verifier.verify(body, p7s, tsr ?? undefined, undefined) : undefined;
    if (!body || !check?.ok) {
      out.problems.push(`audit segment ${name}: ${check ? check.problems.join('; ') : 'segment or seal missing'}`);
      return out;
    }
    const rows = body
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => {
        const r = JSON.parse(l) as Omit<AuditRow, 'prevHash'> & { prev_hash: string };
        return { ...r, prevHash: r.prev_hash } as AuditRow;
      });
    try {
      deps.repo.audit.restoreSegment(rows, () => {
        const last = rows.at(-1)!;
        deps.repo.auditSegments.record({
          name,
          firstSeq: rows[0]!.seq,
          lastSeq: last.seq,
          lastHash: last.hash,
          sha256: sha256Hex(body),
          archivedAt: new Date().toISOString(),
        });
      });
    } catch (err) {
      out.problems.push(`audit segment ${name}: ${err instanceof Error ? err.message : String(err)}`);
      return out;
    }
    out.segmentsRestored++;
    out.rowsRestored += rows.length;
  }
  return out;
}

export async function reindex(deps: {
  archive: ArchiveBackend;
  verifier: SealVerifier;
  repo: EvidenceRepo;
  actor: string;
  hashObjects?: boolean;
  reader?: PinnedReader | undefined;
}): Promise<ReindexReport> {
  const report: ReindexReport = {
    audit: await restoreAuditHistory(deps),
    scanned: 0,
    added: [],
    alreadyCatalogued: 0,
    failed: [],
  };
  for await (const id of evidenceIds(deps.archive)) {
    report.scanned++;
    if (deps.repo.get(id)) {
      report.alreadyCatalogued++;
      continue;
    }
    const rebuilt = await rebuildFromArchive(deps, id);
    if (!rebuilt.ok) {
      report.failed.push({ id, problems: rebuilt.problems });
      continue;
    }
    deps.repo.insertRebuilt(rebuilt.record, rebuilt.objects, deps.actor);
    report.added.push(id);
  }
  return report;
}

/**
 * An item as its sealed revisions in the archive describe it, after checking seals and chain
 * (and, with hashObjects, every byte): what `reindex` enters and what adoption takes over.
 */
export async function rebuildFromArchive(
  deps: {
    archive: ArchiveBackend;
    verifier: SealVerifier;
    hashObjects?: boolean | undefined;
    reader?: PinnedReader | undefined;
  },
  id: string,
): Promise<{ ok: true; record: RebuiltRecord; objects: RebuiltObject[] } | { ok: false; problems: string[] }> {
  // Seals and chain always; the originals' bytes only when asked (it reads every byte back).
  const v = await verifyEvidence(
    { archive: deps.archive, verifier: deps.verifier, reader: deps.reader },
    id,
    undefined,
    {
      hashObjects: deps.hashObjects ?? false,
    },
  );
  const m = v.latest;
  // Versions or delete markers someone else added do not stop a rebuild: reads are pinned to
  // the versions we wrote (recorded below), and `verify` reports the attempt.
  if (!v.intact || !m) {
    return {
      ok: false,
      problems: [
        ...v.problems,
        ...v.revisions.flatMap((r) => r.problems.map((p) => `revision ${r.revision}: ${p}`)),
        ...v.objects.filter((o) => !o.ok).map((o) => `${o.key}: ${o.problem}`),
      ],
    };
  }
  const latestBytes = v.revisionBytes.at(-1)!;
  const original = v.objectsSeen.find((o) => o.key === m.original.archiveKey);
  const head = await deps.archive.head(m.original.archiveKey, original?.versionId);
  const sidecar = elementsFrom(m, 'sidecar');
  return {
    ok: true,
    record: {
      id,
      sha256: m.original.sha256,
      size: m.original.size,
      originalName: m.original.fileName,
      originalNameExact: m.original.exactName ?? null,
      originalPath: m.original.dockPath ?? null,
      originalKey: m.original.archiveKey,
      dockId: m.original.dockId,
      deviceId: m.original.deviceId,
      receivedAt: m.original.receivedAt,
      state: stateFromManifest(m),
      annotation: elementsFrom(m, 'annotation'),
      sidecar: Object.keys(sidecar).length ? { name: '(from manifest)', elements: sidecar } : null,
      elements: m.elements,
      elementSources: m.elementSources,
      missing: m.missingElements,
      media:
        m.media === null ? null : 'unplayable' in m.media ? { probe: null, error: m.media.error } : { probe: m.media },
      derivative: m.derivative ? { ...m.derivative, revision: m.revision } : null,
      manifestRev: m.revision,
      manifestSha256: sha256Hex(latestBytes),
      legalHold: head?.legalHold ?? false,
      retainUntil: head?.retainUntil?.toISOString() ?? null,
    },
    objects: v.objectsSeen,
  };
}
