// The work behind each state. Every stage is idempotent: run again after a crash at any point,
// it finds what was already done (spool files, archived objects) and carries on from there.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { archiveKeys, formatRevision } from '../archive/keys.js';
import { pinnedReaderFor } from '../audit/alarms.js';
import type { EvidenceRecord } from '../catalog/evidence-repo.js';
import { SealdockError, errorMessage, isSealdockError } from '../errors.js';
import { adoptFromArchive } from '../usecases/adopt.js';
import { applyLateSidecar } from '../usecases/annotate.js';
import { DAEMON_ACTOR } from '../intake/intake-service.js';
import type { StampTags } from '../media/types.js';
import { formatIso6709 } from '../media/index.js';
import { metrics } from '../metrics.js';
import { contentTypeOf } from '../util/content-type.js';
import { sha256File } from '../util/hash.js';
import { ArchiveBatch, lockTermsFor, type ObjectToArchive } from './archiving.js';
import { dockOf, type PipelineContext } from './context.js';
import { elementChanges, unconfirmedElements } from '../elements/resolve.js';
import {
  isProbed,
  readyToDerive,
  recordedAtFor,
  resolveItemElements,
  timeZoneFor,
  type ItemMedia,
} from './item-elements.js';
import {
  archiveRevision,
  elementsOfRevision,
  originalKey,
  readSealedRevision,
  sealNextRevision,
  type ManifestDerivative,
} from './manifests.js';
import { assertTransition, type Stage, type State } from './states.js';
import { deferTranscode, withoutWait } from './transcode-wait.js';

export type StageHandler = (ctx: PipelineContext, item: EvidenceRecord) => Promise<void>;

function moveTo(
  ctx: PipelineContext,
  stage: Stage,
  item: EvidenceRecord,
  to: State,
  patch: Parameters<PipelineContext['repo']['update']>[1] = {},
  details: Record<string, unknown> = {},
): EvidenceRecord {
  assertTransition(stage, to);
  return ctx.repo.update(
    item.id,
    {
      ...patch,
      state: to,
      resumeState: null,
      stage: null,
      error: null,
      attempts: 0,
      nextAttemptAt: null,
      progress: null,
    },
    {
      actor: DAEMON_ACTOR,
      action: to,
      details: { from: item.state === 'failed' ? item.resumeState : item.state, ...details },
    },
  );
}

/**
 * The elements as far as they are known without any media tool: sidecar, binding, dock default,
 * and a time from the file name or mtime. Preservation seals these in revision 0001.
 */
function settleIntakeElements(ctx: PipelineContext, item: EvidenceRecord): Promise<EvidenceRecord> {
  const prior = item.media as ItemMedia | null;
  const dock = dockOf(ctx.config, item.dockId);
  const media: ItemMedia = prior ?? {
    probe: null,
    probed: false,
    recordedAt: recordedAtFor(item, null, {
      dock,
      timeZone: timeZoneFor(ctx.config, dock),
      mtimeMs: ctx.repo.dockFiles.unreleasedOf(item.id)[0]?.mtimeMs,
      clockOffsetSeconds: clockOffsetOf(ctx, item),
    }),
  };
  return updateElements(ctx, item.id, media, null);
}

/**
 * Re-resolves the elements with `media` inside one transaction: an annotation may have landed
 * while a tool ran. Changes caused by the media (`cause`) are audited element by element.
 * `andThen` (a stage's decision on the updated item) commits in the same transaction, which is
 * durable when this resolves.
 */
function updateElements(
  ctx: PipelineContext,
  id: string,
  media: ItemMedia,
  cause: 'media' | null,
  andThen: (updated: EvidenceRecord) => EvidenceRecord = (updated) => updated,
): Promise<EvidenceRecord> {
  return ctx.repo.commitDurably(() =>
    ctx.repo.readModifyWrite(id, (current) => {
      const resolved = resolveItemElements(current!, media, {
        dock: dockOf(ctx.config, current!.dockId),
        devices: ctx.devices,
      });
      if (cause) {
        for (const c of elementChanges(current!.elements, resolved.elements)) {
          ctx.repo.audit.append({
            actor: DAEMON_ACTOR,
            action: 'element-changed',
            evidenceId: id,
            details: { element: c.key, old: c.old, new: c.new, source: resolved.sources[c.key] ?? null, reason: cause },
          });
        }
      }
      return andThen(
        ctx.repo.update(id, {
          media,
          elements: resolved.elements,
          elementSources: resolved.sources,
          missing: resolved.missing,
        }),
      );
    }),
  );
}

function clockOffsetOf(ctx: PipelineContext, item: EvidenceRecord): number | null {
  return item.deviceId ? (ctx.devices.get(item.deviceId)?.clockOffsetSeconds ?? null) : null;
}

/**
 * The media step: probe (ffprobe + a first-frames decode, under `media.probeTimeoutSeconds`) and
 * re-resolve the elements with what the media says (creation time, GPS). A probe that proves the
 * file undecodable is a result; a hung or crashed tool throws, and only this item's step fails.
 */
async function probeOriginal(
  ctx: PipelineContext,
  item: EvidenceRecord,
  andThen?: (probed: EvidenceRecord) => EvidenceRecord,
): Promise<EvidenceRecord> {
  const file = await ensureOriginalInSpool(ctx, item);
  const outcome = await ctx.media.probe(file, { signal: ctx.signal });
  const prior = item.media as ItemMedia | null;
  const probe = outcome.ok ? outcome.probe : null;
  const dock = dockOf(ctx.config, item.dockId);
  const mtime = prior?.recordedAt?.raw.mtime;
  const media: ItemMedia = {
    probe,
    ...(outcome.ok ? {} : { error: outcome.error }),
    recordedAt: recordedAtFor(item, probe, {
      dock,
      timeZone: timeZoneFor(ctx.config, dock),
      mtimeMs: mtime ? Date.parse(mtime) : ctx.repo.dockFiles.unreleasedOf(item.id)[0]?.mtimeMs,
      clockOffsetSeconds: clockOffsetOf(ctx, item),
    }),
  };
  return updateElements(ctx, item.id, media, 'media', andThen);
}

/** received → preserved: original + intake manifest archived and verified; no media tool runs. */
export const preserve: StageHandler = async (ctx, start) => {
  if (!start.spoolPath) throw new SealdockError('INTERNAL', `${start.id} has no spool copy to preserve`);
  // Nothing of it archived by us, yet the archive has its intake revision: adopt, never rewrite.
  if (
    start.manifestRev === 0 &&
    ctx.repo.archiveObjects.ofItem(start.id).length === 0 &&
    (await ctx.archive.head(archiveKeys.manifest(start.id, 1)))
  ) {
    await adoptInstead(ctx, start, 'the archive already holds its intake revision');
    return;
  }
  const item = await settleIntakeElements(ctx, start);
  const lock = lockTermsFor(ctx, item);
  const preserved = await ArchiveBatch.run(ctx, item.id, lock, async (batch) => {
    await batch.put({
      kind: 'original',
      key: originalKey(item),
      source: { path: start.spoolPath!, readBack: ctx.spool.takeReadBackProof(start.spoolPath!) },
      sha256: item.sha256,
      size: item.size,
      contentType: contentTypeOf(item.originalName),
    });
    // Recorded at once: the dock file may be released from here on, and an item with an object
    // recorded is never mistaken for one the archive holds from elsewhere (adoption above).
    await batch.commit(() => undefined);
    const rev =
      item.manifestRev >= 1
        ? await readSealedRevision(ctx, item, 1)
        : await sealNextRevision(ctx, item, 'intake', null);
    if (!rev) throw new SealdockError('INTERNAL', `${item.id}: intake manifest missing from the spool`);
    await archiveRevision(batch, item, rev);
    return batch.commit(() =>
      moveTo(
        ctx,
        'preserve',
        item,
        'preserved',
        {
          manifestRev: 1,
          manifestSha256: rev.sha256,
          retainUntil: lock.retainUntil.toISOString(),
          legalHold: lock.legalHold,
        },
        {
          manifest: archiveKeys.manifest(item.id, 1),
          retainUntil: lock.retainUntil.toISOString(),
          legalHold: lock.legalHold,
        },
      ),
    );
  });
  // Revision 0001 is archived and verified: its spool copy has done its job. The dock file is
  // released by the runner's release sweep, whose failures never touch the item's state. The
  // spool original stays for the media step.
  await ctx.spool.removeItem(preserved.id);
};

/**
 * preserved → awaiting-annotation | deriving. Runs in the media pool: probes first (see
 * probeOriginal). An undecodable original goes to `deriving` too, so that its next revision seals
 * the finding and the media-derived elements without a derivative; it settles as `unplayable`.
 */
export const classify: StageHandler = async (ctx, start) => {
  // What the probe found and the decision on it commit together.
  const item = isProbed(start.media as ItemMedia | null)
    ? await ctx.repo.commitDurably(() => decideAfterProbe(ctx, start))
    : await probeOriginal(ctx, start, (probed) => decideAfterProbe(ctx, probed));
  // Could wait for weeks: the archive holds the original; derive fetches it back when needed.
  if (item.state === 'awaiting-annotation') await dropSpoolOriginal(ctx, item);
};

function decideAfterProbe(ctx: PipelineContext, item: EvidenceRecord): EvidenceRecord {
  const media = item.media as ItemMedia;
  if (!media.probe) {
    return moveTo(
      ctx,
      'classify',
      item,
      'deriving',
      {},
      { unplayable: true, error: media.error ?? 'could not be decoded' },
    );
  }
  if (!readyToDerive({ missing: item.missing, unconfirmed: unconfirmedOf(item) }, ctx.config)) {
    return moveTo(
      ctx,
      'classify',
      item,
      'awaiting-annotation',
      {},
      { missing: item.missing, unconfirmed: unconfirmedOf(item) },
    );
  }
  return moveTo(ctx, 'classify', item, 'deriving');
}

/** deriving → sealed: playback copy made and stamped, the next manifest revision sealed. */
export const derive: StageHandler = async (ctx, start) => {
  // An item catalogued before it was probed (reindexed from its intake manifest) is probed now.
  const item = isProbed(start.media as ItemMedia | null) ? start : await probeOriginal(ctx, start);
  const media = item.media as ItemMedia | null;
  const revision = item.manifestRev + 1;
  let derivative: ManifestDerivative = null;
  if (media?.probe) {
    const plan = ctx.media.plan(media.probe);
    if (plan.mode !== 'none') {
      const output = path.join(ctx.spool.itemDir(item.id), `derivative-${formatRevision(revision)}.mp4`);
      const key = archiveKeys.derivative(item.id, revision);
      const prior = item.derivative as (NonNullable<ManifestDerivative> & { revision: number }) | null;
      if (
        prior?.revision === revision &&
        prior.archiveKey === key &&
        (await sha256File(output).catch(() => null))?.sha256 === prior.sha256
      ) {
        derivative = {
          archiveKey: prior.archiveKey,
          size: prior.size,
          sha256: prior.sha256,
          provenance: prior.provenance,
        };
      } else {
        // Checked only now: a derivative made before a crash is used, not put off again.
        if (deferTranscode(ctx, item, plan)) {
          // It may wait for weeks: the archive holds the original; it is fetched back when needed.
          await dropSpoolOriginal(ctx, item);
          return;
        }
        const input = await ensureOriginalInSpool(ctx, item);
        await fsp.mkdir(path.dirname(output), { recursive: true });
        const provenance = await ctx.media.derive({
          input,
          output,
          probe: media.probe,
          plan,
          tags: stampTags(item),
          signal: ctx.signal,
          label: `${item.id} rev ${revision}`,
          onProgress: throttledProgress(ctx, item.id),
        });
        derivative = { archiveKey: key, size: provenance.size, sha256: provenance.sha256, provenance };
        await ctx.repo.commitDurably(() => {
          const current = ctx.repo.get(item.id)?.media as ItemMedia;
          ctx.repo.update(item.id, { derivative: { ...derivative, revision }, media: withoutWait(current) });
        });
        metrics.derivatives.inc({ method: provenance.method });
        metrics.deriveDuration.observe(
          { method: provenance.method },
          (Date.parse(provenance.finishedAt) - Date.parse(provenance.startedAt)) / 1000,
        );
      }
    }
  }
  const reason = revision === 2 ? 'derivation' : 'amendment';
  const rev = await sealNextRevision(ctx, item, reason, derivative);
  await ctx.repo.commitDurably(() =>
    moveTo(
      ctx,
      'derive',
      item,
      'sealed',
      { manifestRev: rev.revision, manifestSha256: rev.sha256 },
      { revision: rev.revision, derivative: derivative?.archiveKey ?? null },
    ),
  );
};

/** sealed → archived (or back to unplayable): derivative and manifest revision archived and verified. */
export const archive: StageHandler = async (ctx, item) => {
  const rev = await readSealedRevision(ctx, item, item.manifestRev);
  if (!rev)
    throw new SealdockError('INTERNAL', `${item.id}: sealed revision ${item.manifestRev} missing from the spool`);
  const lock = lockTermsFor(ctx, item);
  const d = item.derivative as (NonNullable<ManifestDerivative> & { revision: number }) | null;
  const playable = Boolean((item.media as ItemMedia | null)?.probe);
  const settled = await ArchiveBatch.run(ctx, item.id, lock, async (batch) => {
    const derivative: ObjectToArchive[] =
      d && d.revision === rev.revision
        ? [
            {
              kind: 'derivative',
              key: d.archiveKey,
              source: {
                path: path.join(ctx.spool.itemDir(item.id), `derivative-${formatRevision(rev.revision)}.mp4`),
              },
              sha256: d.sha256,
              size: d.size,
              contentType: 'video/mp4',
            },
          ]
        : [];
    await archiveRevision(batch, item, rev, derivative);
    // Elements amended while this revision was being made (checked against the row as it is now,
    // in the same transaction as the transition): go round again for a newer revision.
    const sealedElements = JSON.stringify(elementsOfRevision(rev));
    return batch.commit((current) => {
      const ready = readyToDerive(
        { missing: current!.missing, unconfirmed: unconfirmedElements(current!.elements, current!.elementSources) },
        ctx.config,
      );
      if (JSON.stringify(current!.elements) !== sealedElements && (!playable || ready)) {
        ctx.repo.update(
          item.id,
          { state: 'deriving', retainUntil: lock.retainUntil.toISOString() },
          {
            actor: DAEMON_ACTOR,
            action: 'deriving',
            details: { from: 'sealed', reason: 'elements changed during derivation' },
          },
        );
        return false;
      }
      moveTo(
        ctx,
        'archive',
        item,
        playable ? 'archived' : 'unplayable',
        { retainUntil: lock.retainUntil.toISOString(), legalHold: lock.legalHold },
        { revision: rev.revision },
      );
      return true;
    });
  });
  if (!settled) return;
  await dropSpoolOriginal(ctx, item);
  await ctx.spool.removeItem(item.id);
};

/**
 * The archive already holds different content under one of the item's keys: another writer (a
 * second site on the bucket, this site before its catalog was lost) got there first. The
 * archive's sealed revisions are adopted instead of failing for ever.
 */
function adoptingOnConflict(handler: StageHandler): StageHandler {
  return async (ctx, item) => {
    try {
      await handler(ctx, item);
    } catch (err) {
      if (!isSealdockError(err, 'ARCHIVE_CONFLICT')) throw err;
      await adoptInstead(ctx, ctx.repo.get(item.id) ?? item, errorMessage(err));
    }
  };
}

async function adoptInstead(ctx: PipelineContext, item: EvidenceRecord, why: string): Promise<void> {
  if (!ctx.verifier) throw new SealdockError('ARCHIVE_CONFLICT', `${item.id}: ${why}; no seal verifier to adopt it`);
  const adopted = await adoptFromArchive(
    { archive: ctx.archive, verifier: ctx.verifier, repo: ctx.repo, actor: DAEMON_ACTOR },
    item,
    why,
  );
  // Our own sealed-but-unarchived revision lost the race: never archive it under another number.
  await ctx.spool.removeItem(item.id);
  if (adopted.state !== 'preserved') await dropSpoolOriginal(ctx, adopted);
  ctx.log.info(
    { evidenceId: item.id, state: adopted.state, revision: adopted.manifestRev, why },
    'adopted from the archive',
  );
  // What this site's sidecar said still counts (as the sidecar source): a difference becomes a new revision.
  if (item.sidecar?.elements && !adopted.sidecar?.sha256) {
    applyLateSidecar({ repo: ctx.repo, devices: ctx.devices, config: ctx.config }, item.id, item.sidecar, DAEMON_ACTOR);
  }
}

export const STAGES: Record<Stage, StageHandler> = {
  preserve: adoptingOnConflict(preserve),
  classify,
  derive,
  archive: adoptingOnConflict(archive),
};

/**
 * Progress for `status`: whole percents, at most one catalog write a second and the first after a
 * second. A remux that takes less writes none (each write is a commit with its own fsync on the
 * event loop, and the stage's transition clears the progress anyway).
 */
function throttledProgress(ctx: PipelineContext, id: string): (percent: number) => void {
  let last = Date.now();
  return (percent) => {
    const now = Date.now();
    if (now - last < 1000) return;
    last = now;
    ctx.repo.update(id, { progress: Math.round(percent) });
  };
}

function unconfirmedOf(item: EvidenceRecord) {
  return unconfirmedElements(item.elements, item.elementSources);
}

function stampTags(item: EvidenceRecord): StampTags {
  const e = item.elements;
  const loc =
    e.place?.lat !== undefined && e.place.lon !== undefined
      ? formatIso6709({ lat: e.place.lat, lon: e.place.lon })
      : undefined;
  return {
    evidenceId: item.id,
    originalSha256: item.sha256,
    caseNumber: e.caseNumber,
    recordedAt: e.recordedAt?.start,
    place: e.place?.text,
    collector: e.collector
      ? e.collector.id
        ? `${e.collector.name} (${e.collector.id})`
        : e.collector.name
      : undefined,
    purpose: e.purpose,
    creationTimeUtc: e.recordedAt ? new Date(e.recordedAt.start).toISOString() : undefined,
    location: loc,
  };
}

async function dropSpoolOriginal(ctx: PipelineContext, item: EvidenceRecord): Promise<void> {
  if (!item.spoolPath) return;
  await ctx.spool.removeOriginal(item.sha256);
  await ctx.repo.commitDurably(() => ctx.repo.update(item.id, { spoolPath: null }));
}

/** The original, back from the archive into the spool if it left, checked against its SHA-256. */
async function ensureOriginalInSpool(ctx: PipelineContext, item: EvidenceRecord): Promise<string> {
  const local = ctx.spool.originalPath(item.sha256);
  const st = await fsp.stat(local).catch(() => null);
  if (st?.isFile() && st.size === item.size) return local;
  // The version we archived and recorded, hash-checked on the way (an overwrite of the key, or a
  // delete marker on it, changes nothing here; bytes that are not the record raise an alarm).
  const key = originalKey(item);
  const recorded = ctx.repo.archiveObjects.ofItem(item.id).find((o) => o.key === key);
  const source = await pinnedReaderFor(ctx.archive, ctx, DAEMON_ACTOR).open(
    { key, sha256: item.sha256, size: item.size, evidenceId: item.id, ...recorded },
    { reader: 'derive' },
  );
  const temp = await ctx.spool.receive(source, item.size);
  if (temp.sha256 !== item.sha256) {
    await ctx.spool.discard(temp);
    throw new SealdockError(
      'VERIFY_FAILED',
      `${item.id}: original read back from the archive does not match its SHA-256`,
    );
  }
  const file = await ctx.spool.commitOriginal(temp);
  await ctx.repo.commitDurably(() => ctx.repo.update(item.id, { spoolPath: file }));
  return file;
}
