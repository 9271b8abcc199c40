// Sealing manifest revisions. A revision is built, sealed and written to the spool before any
// of it is archived, so a crash between sealing and archiving re-archives the very same bytes
// instead of sealing a second, different revision under the same number.
import { archiveKeys, formatRevision, legacyArchiveFileName } from '../archive/keys.js';
import type { EvidenceRecord } from '../catalog/evidence-repo.js';
import { unconfirmedElements } from '../elements/resolve.js';
import { buildManifest, manifestBytes, parseManifest, type Manifest, type ManifestReason } from '../seal/index.js';
import { sha256Hex } from '../util/hash.js';
import { nowIso } from '../util/time.js';
import type { ArchiveBatch, ObjectToArchive } from './archiving.js';
import type { PipelineContext } from './context.js';
import type { ItemMedia } from './item-elements.js';
import { revisionChanges } from './revision-changes.js';
import { SealdockError } from '../errors.js';
import { pinnedReaderFor } from '../audit/alarms.js';
import { DAEMON_ACTOR } from '../intake/intake-service.js';

export interface SealedRevision {
  revision: number;
  bytes: Buffer;
  sha256: string;
  signature: Buffer;
  timestampToken: Buffer | null;
}

export type ManifestDerivative = Manifest['derivative'];

const names = (rev: number) => {
  const r = formatRevision(rev);
  return { json: `manifest-${r}.json`, p7s: `manifest-${r}.json.p7s`, tsr: `manifest-${r}.json.tsr` };
};

export function manifestMedia(media: ItemMedia | null): Manifest['media'] {
  // Not probed yet (the intake revision): the manifest says nothing about the media.
  if (!media || media.probed === false) return null;
  if (media.probe) {
    // Codec profile and level only steer the remux/transcode choice (recorded in the derivative's
    // provenance); the sealed manifest keeps its established stream shape.
    const streams = media.probe.streams.map(({ profile: _p, level: _l, ...stream }) => stream);
    return { ...media.probe, streams };
  }
  return { unplayable: true, error: media.error ?? 'could not be decoded' };
}

/** Seals revision `item.manifestRev + 1` (or returns it, if a previous attempt already sealed it). */
export async function sealNextRevision(
  ctx: PipelineContext,
  item: EvidenceRecord,
  reason: ManifestReason,
  derivative: ManifestDerivative,
): Promise<SealedRevision> {
  const revision = item.manifestRev + 1;
  const n = names(revision);
  const existing = await ctx.spool.readItemFile(item.id, n.json);
  if (existing) {
    const signature = await ctx.spool.readItemFile(item.id, n.p7s);
    if (signature) {
      return {
        revision,
        bytes: existing,
        sha256: sha256Hex(existing),
        signature,
        timestampToken: await ctx.spool.readItemFile(item.id, n.tsr),
      };
    }
  }
  const changes = revision > 1 ? await changesSincePrevious(ctx, item) : undefined;
  const manifest = buildManifest({
    evidenceId: item.id,
    revision,
    previousRevisionSha256: item.manifestSha256,
    createdAt: nowIso(),
    reason,
    elements: item.elements,
    elementSources: item.elementSources,
    unconfirmedElements: unconfirmedElements(item.elements, item.elementSources),
    original: {
      fileName: item.originalName,
      size: item.size,
      sha256: item.sha256,
      deviceId: item.deviceId,
      dockId: item.dockId,
      receivedAt: item.receivedAt,
      archiveKey: originalKey(item),
      ...(item.originalNameExact ? { exactName: item.originalNameExact } : {}),
      ...(item.originalPath ? { dockPath: item.originalPath } : {}),
    },
    media: manifestMedia(item.media as ItemMedia | null),
    derivative,
    seal: { certificateSha256: ctx.seal.info.certificateSha256, development: ctx.seal.info.development },
    ...(changes ? { changes } : {}),
    generator: { version: ctx.version, nodeId: ctx.config.nodeId ?? 'unknown' },
  });
  const bytes = manifestBytes(manifest);
  const sealed = await ctx.seal.seal(bytes);
  // The JSON is written last: its presence means its signature (and token) are already durable.
  await ctx.spool.writeItemFile(item.id, n.p7s, sealed.signature);
  // A token left by an earlier attempt belongs to another signature: never archive it with this one.
  if (sealed.timestampToken) await ctx.spool.writeItemFile(item.id, n.tsr, sealed.timestampToken);
  else await ctx.spool.removeItemFile(item.id, n.tsr);
  await ctx.spool.writeItemFile(item.id, n.json, bytes);
  return {
    revision,
    bytes,
    sha256: sha256Hex(bytes),
    signature: sealed.signature,
    timestampToken: sealed.timestampToken ?? null,
  };
}

/** The previous revision's bytes: from the spool if still there, else the archive; checked against the catalog. */
async function previousRevisionBytes(ctx: PipelineContext, item: EvidenceRecord): Promise<Buffer> {
  const previous = item.manifestRev;
  const fromSpool = await ctx.spool.readItemFile(item.id, names(previous).json);
  if (fromSpool && sha256Hex(fromSpool) === item.manifestSha256) return fromSpool;
  // The version we archived and recorded, hash-checked on the way (pinned read, as derive does).
  const key = archiveKeys.manifest(item.id, previous);
  const recorded = ctx.repo.archiveObjects.ofItem(item.id).find((o) => o.key === key);
  if (!recorded || recorded.sha256 !== item.manifestSha256) {
    throw new SealdockError('VERIFY_FAILED', `${item.id}: manifest revision ${previous} is not recorded as archived`);
  }
  return pinnedReaderFor(ctx.archive, ctx, DAEMON_ACTOR).readAll(recorded, 'derive');
}

/** Each element changed since the previous revision, with who, when and why (see revision-changes.ts). */
async function changesSincePrevious(ctx: PipelineContext, item: EvidenceRecord): Promise<Manifest['changes']> {
  const previous = parseManifest(await previousRevisionBytes(ctx, item));
  const rows = ctx.repo.audit.list({ evidenceId: item.id, action: 'element-changed', limit: 10_000 });
  return revisionChanges(previous.elements, item.elements, item.elementSources, rows, previous.createdAt);
}

export async function readSealedRevision(
  ctx: PipelineContext,
  item: EvidenceRecord,
  revision: number,
): Promise<SealedRevision | null> {
  const n = names(revision);
  const bytes = await ctx.spool.readItemFile(item.id, n.json);
  const signature = await ctx.spool.readItemFile(item.id, n.p7s);
  if (!bytes || !signature) return null;
  return {
    revision,
    bytes,
    sha256: sha256Hex(bytes),
    signature,
    timestampToken: await ctx.spool.readItemFile(item.id, n.tsr),
  };
}

export function elementsOfRevision(rev: SealedRevision): Manifest['elements'] {
  return parseManifest(rev.bytes).elements;
}

/**
 * Adds a sealed revision's manifest, signature and token (and `along`, e.g. the derivative it
 * describes) to a stage's archive batch. The objects are independent (own keys, each put and
 * verified on its own), so they are put side by side: each local put waits on two or three fsyncs,
 * and in a burst those waits, one after another, were most of a preserve. Every put ends
 * (succeeded or failed) before this does; the first failure is thrown.
 */
export async function archiveRevision(
  batch: ArchiveBatch,
  item: EvidenceRecord,
  rev: SealedRevision,
  along: ObjectToArchive[] = [],
): Promise<void> {
  const parts: [ObjectToArchive['kind'], string, Buffer | null, string][] = [
    ['manifest', archiveKeys.manifest(item.id, rev.revision), rev.bytes, 'application/json'],
    ['signature', archiveKeys.signature(item.id, rev.revision), rev.signature, 'application/pkcs7-signature'],
    ['timestamp', archiveKeys.timestamp(item.id, rev.revision), rev.timestampToken, 'application/timestamp-reply'],
  ];
  const objects = [
    ...along,
    ...parts.flatMap(([kind, key, bytes, contentType]): ObjectToArchive[] =>
      bytes ? [{ kind, key, source: { bytes }, sha256: sha256Hex(bytes), size: bytes.length, contentType }] : [],
    ),
  ];
  const puts = await Promise.allSettled(objects.map((o) => batch.put(o)));
  const failed = puts.find((p): p is PromiseRejectedResult => p.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Where the original is (or goes) in the archive: the key recorded at intake. */
export function originalKey(item: Pick<EvidenceRecord, 'id' | 'originalName' | 'originalKey'>): string {
  return item.originalKey ?? archiveKeys.original(item.id, legacyArchiveFileName(item.originalName));
}
