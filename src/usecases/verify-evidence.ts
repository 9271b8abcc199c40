// `sealdock verify` and POST /evidence/{id}/verify: everything is re-read from the archive (the
// system of record), re-hashed and re-checked; the catalog is only compared against, never trusted.
// Reads are pinned: each key is read at the version the catalog recorded, else at its oldest
// version (we write every key once), never at whatever someone put on top. Every other version and
// every delete marker on the item's keys is reported as a tampering attempt.
import type { ArchiveBackend, ObjectVersion } from '../archive/archive.js';
import { archiveKeys } from '../archive/keys.js';
import { PinnedReader, type PinnedObject } from '../archive/pinned.js';
import { errorMessage } from '../errors.js';
import type { ArchiveObjectRecord, EvidenceRecord } from '../catalog/evidence-repo.js';
import type { SealVerifier } from '../seal/verifier.js';
import { parseManifest, type Manifest } from '../seal/manifest.js';
import { sha256Hex } from '../util/hash.js';

export interface RevisionCheck {
  revision: number;
  ok: boolean;
  signer?: string | undefined;
  signingTime?: string | undefined;
  timestamp?: string | undefined;
  developmentSeal?: boolean | undefined;
  problems: string[];
}

/** A version or delete marker on one of the item's keys that is not the one we wrote. */
export interface TamperFinding {
  key: string;
  kind: 'extra-version' | 'delete-marker';
  versionId?: string | undefined;
  lastModified?: string | undefined;
  /** the version the reads stay pinned to */
  pinnedVersionId?: string | undefined;
}

export interface EvidenceVerification {
  id: string;
  /** intact and no tampering attempt found */
  ok: boolean;
  /** every seal, chain link and hash checks out (whatever else was put on the keys) */
  intact: boolean;
  tampering: TamperFinding[];
  revisions: RevisionCheck[];
  objects: { key: string; ok: boolean; sha256?: string; problem?: string }[];
  problems: string[];
  latest: Manifest | null;
  /** The manifest bytes of every revision, in order (for reindex). */
  revisionBytes: Buffer[];
  /** Every object of the item found in the archive, with the digest it has or is sealed to have. */
  objectsSeen: SeenObject[];
}

export interface SeenObject {
  key: string;
  kind: 'original' | 'manifest' | 'signature' | 'timestamp' | 'derivative';
  sha256: string;
  size: number;
  /** true when its bytes were read back and hashed in this check */
  hashed: boolean;
  /** the version read (S3) */
  versionId?: string | undefined;
}

interface KeyVersions {
  /** the version reads are pinned to: the catalog's, else the oldest */
  pinned?: ObjectVersion | undefined;
  others: ObjectVersion[];
  markers: ObjectVersion[];
}

/** Every version of every key of the item, each key's pinned version chosen. */
async function itemVersions(
  archive: ArchiveBackend,
  id: string,
  recorded: ReadonlyMap<string, ArchiveObjectRecord>,
): Promise<Map<string, KeyVersions>> {
  const byKey = new Map<string, ObjectVersion[]>();
  for await (const v of archive.versions(`evidence/${id}/`)) {
    const list = byKey.get(v.key) ?? [];
    list.push(v);
    byKey.set(v.key, list);
  }
  const out = new Map<string, KeyVersions>();
  for (const [key, all] of byKey) {
    const real = all.filter((v) => !v.deleteMarker);
    const want = recorded.get(key)?.versionId;
    const oldest = [...real].sort((a, b) => (a.lastModified?.getTime() ?? 0) - (b.lastModified?.getTime() ?? 0))[0];
    const pinned = want ? real.find((v) => v.versionId === want) : oldest;
    out.set(key, { pinned, others: real.filter((v) => v !== pinned), markers: all.filter((v) => v.deleteMarker) });
  }
  return out;
}

function tamperFindings(versions: Map<string, KeyVersions>): TamperFinding[] {
  const out: TamperFinding[] = [];
  for (const [key, v] of versions) {
    const base = { key, ...(v.pinned?.versionId ? { pinnedVersionId: v.pinned.versionId } : {}) };
    for (const o of v.others)
      out.push({ ...base, kind: 'extra-version', versionId: o.versionId, lastModified: o.lastModified?.toISOString() });
    for (const m of v.markers)
      out.push({ ...base, kind: 'delete-marker', versionId: m.versionId, lastModified: m.lastModified?.toISOString() });
  }
  return out;
}

/**
 * The bytes of one pinned key. What the catalog recorded is read through the pinned reader (hash
 * checked, an alarm on mismatch); what it does not know (reindex, a revision the catalog has not
 * recorded) is read at its pinned version and proven by its seal instead.
 */
async function readPinned(
  deps: { archive: ArchiveBackend; reader: PinnedReader },
  key: string,
  versions: Map<string, KeyVersions>,
  recorded: ReadonlyMap<string, ArchiveObjectRecord>,
): Promise<{ bytes: Buffer; versionId?: string | undefined } | null> {
  const pinned = versions.get(key)?.pinned;
  const row = recorded.get(key);
  if (row) {
    if (!pinned && !row.versionId && deps.archive.kind !== 'local') return null;
    return { bytes: await deps.reader.readAll(row, 'verify'), versionId: row.versionId ?? pinned?.versionId };
  }
  if (!pinned) return null;
  const chunks: Buffer[] = [];
  for await (const c of (await deps.archive.read(key, undefined, pinned.versionId)) as AsyncIterable<Buffer>)
    chunks.push(c);
  return { bytes: Buffer.concat(chunks), versionId: pinned.versionId };
}

/** The sealed manifest revisions of an item, as stored at their pinned versions. */
async function readRevisions(
  deps: { archive: ArchiveBackend; reader: PinnedReader },
  id: string,
  versions: Map<string, KeyVersions>,
  recorded: ReadonlyMap<string, ArchiveObjectRecord>,
  problems: string[],
): Promise<
  {
    revision: number;
    json: Buffer;
    p7s: Buffer | null;
    tsr: Buffer | null;
    versions: Record<'json' | 'p7s' | 'tsr', string | undefined>;
  }[]
> {
  const read = async (key: string) => {
    try {
      return await readPinned(deps, key, versions, recorded);
    } catch (err) {
      problems.push(`${key}: ${errorMessage(err)}`);
      return null;
    }
  };
  const out = [];
  const manifestKeys = [...versions.keys()].filter((k) => /\/manifest\/\d{4}\.json$/.test(k)).sort();
  for (const key of manifestKeys) {
    const revision = Number(/\/manifest\/(\d{4})\.json$/.exec(key)![1]);
    const json = await read(key);
    if (!json) continue;
    const p7s = await read(archiveKeys.signature(id, revision));
    const tsr = await read(archiveKeys.timestamp(id, revision));
    out.push({
      revision,
      json: json.bytes,
      p7s: p7s?.bytes ?? null,
      tsr: tsr?.bytes ?? null,
      versions: { json: json.versionId, p7s: p7s?.versionId, tsr: tsr?.versionId },
    });
  }
  return out.sort((a, b) => a.revision - b.revision);
}

/** What the catalog says must be in the archive: the original, and every revision up to N. */
export interface CatalogExpectation {
  sha256: string;
  archivedRevision?: number | undefined;
  archivedRevisionSha256?: string | null | undefined;
}

/** A `sealed` item's newest revision is not archived yet; every other state's is. */
export function expectationOf(item: EvidenceRecord): CatalogExpectation {
  const pending = item.state === 'sealed' || (item.state === 'failed' && item.resumeState === 'sealed');
  return {
    sha256: item.sha256,
    archivedRevision: pending ? item.manifestRev - 1 : item.manifestRev,
    archivedRevisionSha256: pending ? undefined : item.manifestSha256,
  };
}

export async function verifyEvidence(
  deps: {
    archive: ArchiveBackend;
    verifier: SealVerifier;
    /** raises the integrity alarms; without one, mismatches are only reported here */
    reader?: PinnedReader | undefined;
    /** the catalog's archive objects of the item: the versions and hashes to pin reads to */
    recorded?: readonly ArchiveObjectRecord[] | undefined;
  },
  id: string,
  expect?: CatalogExpectation | undefined,
  opts: { hashObjects?: boolean } = {},
): Promise<EvidenceVerification> {
  const hashObjects = opts.hashObjects ?? true;
  const objectsSeen: SeenObject[] = [];
  const problems: string[] = [];
  const revisions: RevisionCheck[] = [];
  const objects: EvidenceVerification['objects'] = [];
  const reader = deps.reader ?? new PinnedReader(deps.archive, () => undefined);
  const recorded = new Map((deps.recorded ?? []).map((o) => [o.key, o]));
  const versions = await itemVersions(deps.archive, id, recorded);
  const tampering = tamperFindings(versions);
  const stored = await readRevisions({ archive: deps.archive, reader }, id, versions, recorded, problems);
  if (stored.length === 0) problems.push('no sealed manifest in the archive');

  let previous: Buffer | null = null;
  let latest: Manifest | null = null;
  const derivatives = new Map<string, { sha256: string; size: number }>();
  for (const [i, r] of stored.entries()) {
    const check: RevisionCheck = { revision: r.revision, ok: true, problems: [] };
    const seen = (kind: SeenObject['kind'], key: string, bytes: Buffer, versionId: string | undefined) =>
      objectsSeen.push({ kind, key, sha256: sha256Hex(bytes), size: bytes.length, hashed: true, versionId });
    seen('manifest', archiveKeys.manifest(id, r.revision), r.json, r.versions.json);
    if (r.p7s) seen('signature', archiveKeys.signature(id, r.revision), r.p7s, r.versions.p7s);
    if (r.tsr) seen('timestamp', archiveKeys.timestamp(id, r.revision), r.tsr, r.versions.tsr);
    if (r.revision !== i + 1) check.problems.push(`revision ${i + 1} is missing: found ${r.revision}`);
    let manifest: Manifest | null = null;
    try {
      manifest = parseManifest(r.json);
    } catch (err) {
      check.problems.push(errorMessage(err));
    }
    if (manifest) {
      if (manifest.evidenceId !== id) check.problems.push(`manifest names evidence ${manifest.evidenceId}`);
      if (manifest.revision !== r.revision) check.problems.push(`manifest says revision ${manifest.revision}`);
      const expectedPrev = previous ? sha256Hex(previous) : null;
      if (manifest.previousRevisionSha256 !== expectedPrev)
        check.problems.push('previousRevisionSha256 does not match the previous revision: the chain is broken');
      if (manifest.derivative)
        derivatives.set(manifest.derivative.archiveKey, {
          sha256: manifest.derivative.sha256,
          size: manifest.derivative.size,
        });
      if (latest && manifest.original.sha256 !== latest.original.sha256)
        check.problems.push('names a different original than the previous revision');
      latest = manifest;
    }
    if (!r.p7s) check.problems.push('signature (.p7s) missing');
    else {
      const seal = deps.verifier.verify(r.json, r.p7s, r.tsr ?? undefined, manifest?.seal.certificateSha256);
      check.signer = seal.signerCertificateSha256;
      check.signingTime = seal.signingTime;
      check.timestamp = seal.timestampTime;
      check.developmentSeal = seal.developmentSeal;
      if (!seal.ok) check.problems.push(...seal.problems.map((p) => `seal: ${p}`));
    }
    check.ok = check.problems.length === 0;
    revisions.push(check);
    previous = r.json;
  }

  if (expect?.archivedRevision !== undefined && expect.archivedRevision > 0) {
    const last = stored.find((r) => r.revision === expect.archivedRevision);
    if (!last) problems.push(`revision ${expect.archivedRevision}, recorded as archived, is not in the archive`);
    else if (expect.archivedRevisionSha256 && sha256Hex(last.json) !== expect.archivedRevisionSha256)
      problems.push(`revision ${expect.archivedRevision} in the archive is not the one the catalog recorded`);
  }
  if (latest) {
    if (expect && latest.original.sha256 !== expect.sha256)
      problems.push('catalog and archive disagree on the original SHA-256');
    const toHash = [
      [latest.original.archiveKey, { sha256: latest.original.sha256, size: latest.original.size }] as const,
      ...derivatives.entries(),
    ];
    for (const [key, want] of toHash) {
      const kind = key === latest.original.archiveKey ? 'original' : 'derivative';
      const row = recorded.get(key);
      const pinned: PinnedObject = {
        key,
        sha256: want.sha256,
        size: want.size,
        evidenceId: id,
        versionId: row?.versionId ?? versions.get(key)?.pinned?.versionId,
        backendChecksum: row?.backendChecksum,
      };
      const versionId = pinned.versionId ?? undefined;
      if (!hashObjects) {
        const head = pinned.versionId || deps.archive.kind === 'local' ? await deps.archive.head(key, versionId) : null;
        const ok = head?.size === want.size;
        objects.push({
          key,
          ok,
          ...(ok ? {} : { problem: head ? `size ${head.size}, sealed as ${want.size}` : 'object is missing' }),
        });
        objectsSeen.push({ kind, key, sha256: want.sha256, size: want.size, hashed: false, versionId });
        continue;
      }
      objectsSeen.push({ kind, key, sha256: want.sha256, size: want.size, hashed: true, versionId });
      try {
        // The pinned reader hashes every byte against the SEALED digest and raises the alarm.
        for await (const _ of await reader.open(pinned, { reader: 'verify' })) void _;
        objects.push({ key, ok: true, sha256: want.sha256 });
      } catch (err) {
        objects.push({ key, ok: false, problem: errorMessage(err) });
      }
    }
  }
  const intact =
    problems.length === 0 && revisions.every((r) => r.ok) && objects.every((o) => o.ok) && stored.length > 0;
  return {
    id,
    ok: intact && tampering.length === 0,
    intact,
    tampering,
    revisions,
    objects,
    problems,
    latest,
    revisionBytes: stored.map((r) => r.json),
    objectsSeen,
  };
}
