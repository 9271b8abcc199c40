// `sealdock verify` and POST /evidence/{id}/verify: everything is re-read from the archive (the
// system of record), re-hashed and re-checked; the catalog is only compared against, never trusted.
import type { ArchiveBackend } from '../archive/archive.js';
import { archiveKeys } from '../archive/keys.js';
import { errorMessage } from '../errors.js';
import type { EvidenceRecord } from '../catalog/evidence-repo.js';
import type { SealVerifier } from '../seal/verifier.js';
import { parseManifest, type Manifest } from '../seal/manifest.js';
import { sha256Hex, sha256Stream } from '../util/hash.js';

export interface RevisionCheck {
  revision: number;
  ok: boolean;
  signer?: string | undefined;
  signingTime?: string | undefined;
  timestamp?: string | undefined;
  developmentSeal?: boolean | undefined;
  problems: string[];
}

export interface EvidenceVerification {
  id: string;
  ok: boolean;
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
}

async function readAll(archive: ArchiveBackend, key: string): Promise<Buffer | null> {
  if (!(await archive.head(key))) return null;
  const chunks: Buffer[] = [];
  for await (const c of (await archive.read(key)) as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** The sealed manifest revisions of an item, as stored: [revision, json, p7s, tsr]. */
export async function readRevisions(
  archive: ArchiveBackend,
  id: string,
): Promise<{ revision: number; json: Buffer; p7s: Buffer | null; tsr: Buffer | null }[]> {
  const out = [];
  for await (const key of archive.list(archiveKeys.manifestPrefix(id))) {
    const m = /\/manifest\/(\d{4})\.json$/.exec(key);
    if (!m) continue;
    const revision = Number(m[1]);
    const json = await readAll(archive, key);
    if (!json) continue;
    out.push({
      revision,
      json,
      p7s: await readAll(archive, archiveKeys.signature(id, revision)),
      tsr: await readAll(archive, archiveKeys.timestamp(id, revision)),
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
  deps: { archive: ArchiveBackend; verifier: SealVerifier },
  id: string,
  expect?: CatalogExpectation | undefined,
  opts: { hashObjects?: boolean } = {},
): Promise<EvidenceVerification> {
  const hashObjects = opts.hashObjects ?? true;
  const objectsSeen: SeenObject[] = [];
  const problems: string[] = [];
  const revisions: RevisionCheck[] = [];
  const objects: EvidenceVerification['objects'] = [];
  const stored = await readRevisions(deps.archive, id);
  if (stored.length === 0) problems.push('no sealed manifest in the archive');

  let previous: Buffer | null = null;
  let latest: Manifest | null = null;
  const derivatives = new Map<string, { sha256: string; size: number }>();
  for (const [i, r] of stored.entries()) {
    const check: RevisionCheck = { revision: r.revision, ok: true, problems: [] };
    const seen = (kind: SeenObject['kind'], key: string, bytes: Buffer) =>
      objectsSeen.push({ kind, key, sha256: sha256Hex(bytes), size: bytes.length, hashed: true });
    seen('manifest', archiveKeys.manifest(id, r.revision), r.json);
    if (r.p7s) seen('signature', archiveKeys.signature(id, r.revision), r.p7s);
    if (r.tsr) seen('timestamp', archiveKeys.timestamp(id, r.revision), r.tsr);
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

  if (latest) {
    if (expect && latest.original.sha256 !== expect.sha256)
      problems.push('catalog and archive disagree on the original SHA-256');
    const toHash = [
      [latest.original.archiveKey, { sha256: latest.original.sha256, size: latest.original.size }] as const,
      ...derivatives.entries(),
    ];
    for (const [key, want] of toHash) {
      const kind = key === latest.original.archiveKey ? 'original' : 'derivative';
      if (!hashObjects) {
        const head = await deps.archive.head(key);
        const ok = head?.size === want.size;
        objects.push({
          key,
          ok,
          ...(ok ? {} : { problem: head ? `size ${head.size}, sealed as ${want.size}` : 'object is missing' }),
        });
        objectsSeen.push({ kind, key, sha256: want.sha256, size: want.size, hashed: false });
        continue;
      }
      objectsSeen.push({ kind, key, sha256: want.sha256, size: want.size, hashed: true });
      try {
        const got = await sha256Stream(await deps.archive.read(key));
        const ok = got.sha256 === want.sha256 && got.size === want.size;
        objects.push({
          key,
          ok,
          sha256: got.sha256,
          ...(ok
            ? {}
            : { problem: `hashes to ${got.sha256} (${got.size} B), sealed as ${want.sha256} (${want.size} B)` }),
        });
      } catch (err) {
        objects.push({ key, ok: false, problem: errorMessage(err) });
      }
    }
  }
  const ok = problems.length === 0 && revisions.every((r) => r.ok) && objects.every((o) => o.ok) && stored.length > 0;
  return { id, ok, revisions, objects, problems, latest, revisionBytes: stored.map((r) => r.json), objectsSeen };
}
