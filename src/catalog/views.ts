// The public JSON shape of an evidence item, shared by `sealdock show/list --json` and the API.
import type { ArchiveObjectRecord, EvidenceRecord } from './evidence-repo.js';
import type { AuditRow } from '../audit/chain.js';
import { unconfirmedElements } from '../elements/resolve.js';
import { displayName, exactNameBytes } from '../util/file-names.js';

export interface EvidenceSummary {
  id: string;
  state: string;
  caseNumber: string | null;
  originalName: string;
  sha256: string;
  size: number;
  dockId: string;
  deviceId: string | null;
  receivedAt: string;
  missing: string[];
  /** Present but only from a default or a guess: shown apart from missing. */
  unconfirmed: string[];
  stage?: string | undefined;
  error?: string | undefined;
  progress?: number | undefined;
}

export function summarize(e: EvidenceRecord): EvidenceSummary {
  return {
    id: e.id,
    state: e.state,
    caseNumber: e.elements.caseNumber ?? null,
    originalName: e.originalName,
    sha256: e.sha256,
    size: e.size,
    dockId: e.dockId,
    deviceId: e.deviceId,
    receivedAt: e.receivedAt,
    missing: e.missing,
    unconfirmed: unconfirmedElements(e.elements, e.elementSources),
    ...(e.state === 'failed'
      ? {
          stage: e.stage ?? undefined,
          error: e.error ?? undefined,
          resumeState: e.resumeState,
          attempts: e.attempts,
          nextAttemptAt: e.nextAttemptAt,
        }
      : {}),
    ...(e.progress !== null ? { progress: e.progress } : {}),
  };
}

export function detail(e: EvidenceRecord, objects: ArchiveObjectRecord[], custody: AuditRow[]) {
  return {
    ...summarize(e),
    // originalName is the escaped form, safe to show; these are the exact bytes (text or base64).
    originalNameExact: e.originalNameExact,
    originalPath: e.originalPath ? { ...e.originalPath, shown: displayName(exactNameBytes(e.originalPath)) } : null,
    elements: e.elements,
    elementSources: e.elementSources,
    sidecar: e.sidecar,
    annotation: e.annotation,
    media: e.media,
    derivative: e.derivative,
    manifestRevision: e.manifestRev,
    manifestSha256: e.manifestSha256,
    legalHold: e.legalHold,
    retainUntil: e.retainUntil,
    archive: objects.map((o) => ({
      key: o.key,
      kind: o.kind,
      sha256: o.sha256,
      size: o.size,
      versionId: o.versionId,
      verifiedAt: o.verifiedAt,
      retainUntil: o.retainUntil,
      legalHold: o.legalHold,
    })),
    custody: custody.map((r) => ({ seq: r.seq, at: r.at, actor: r.actor, action: r.action, details: r.details })),
  };
}
