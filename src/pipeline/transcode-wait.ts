// A transcode that `media.transcode` puts off (off-peak, on-demand) leaves its item honestly in
// `deriving`, with a `waiting` note saying for what, and a next attempt at the window's start
// (off-peak) or never by itself (on-demand). A request to play it (API) brings it forward now.
import type { EvidenceRecord } from '../catalog/evidence-repo.js';
import { SealdockError } from '../errors.js';
import { transcodeWait } from '../media/schedule.js';
import type { DerivativePlan } from '../media/types.js';
import { nowIso } from '../util/time.js';
import type { PipelineContext } from './context.js';
import type { DerivationWait, ItemMedia } from './item-elements.js';

/** next_attempt_at of an on-demand wait: the runner never picks the item until someone asks. */
export const UNTIL_ASKED = '9999-12-31T23:59:59.999Z';

/**
 * Defers the item's derivation if its plan needs the encoder and the mode says not now.
 * Returns true when deferred (the stage then ends without a transition).
 */
export function deferTranscode(
  ctx: Pick<PipelineContext, 'config' | 'repo' | 'media' | 'log'>,
  item: EvidenceRecord,
  plan: DerivativePlan,
  now = new Date(),
): boolean {
  if (ctx.media.laneOf(plan) !== 'transcode') return false;
  const media = item.media as ItemMedia;
  const wait = transcodeWait(ctx.config.media.transcode, {
    now,
    window: ctx.config.media.offPeak,
    timeZone: ctx.config.timezone,
    requested: media.waiting?.requestedAt !== undefined,
  });
  if (!wait) return false;
  const note: DerivationWait = {
    for: wait.for,
    since: media.waiting?.for === wait.for ? media.waiting.since : nowIso(),
    ...(wait.until ? { until: wait.until } : {}),
  };
  const first = media.waiting?.for !== wait.for;
  ctx.repo.update(
    item.id,
    { media: { ...media, waiting: note }, nextAttemptAt: wait.until ?? UNTIL_ASKED, progress: null },
    first
      ? {
          actor: 'sealdock',
          action: 'derivation-deferred',
          details: { waiting: wait.for, until: wait.until ?? null, plan: plan.reason },
        }
      : undefined,
  );
  if (first) ctx.log.info({ evidenceId: item.id, waiting: wait.for, until: wait.until }, 'transcode deferred');
  return true;
}

/** The media JSON once its derivative is made: the wait is over. */
export function withoutWait(media: ItemMedia): ItemMedia {
  const { waiting: _done, ...rest } = media;
  return rest;
}

export interface DerivationStatus {
  /** 'pending': being made, or will be now that it was asked for; 'none': none is on its way. */
  status: 'pending' | 'none';
  state: string;
  waiting?: DerivationWait['for'] | undefined;
  /** 0..100 while the encoder runs */
  progress?: number | undefined;
  /** seconds a client should wait before asking again */
  retryAfterSeconds?: number | undefined;
}

const PENDING_STATES = new Set(['deriving', 'sealed', 'preserved', 'received']);

/**
 * Someone asked to play `id`. If its transcode waits, it is brought forward (recorded with who
 * asked). Says whether a derivative exists, is on its way, or will never be made (no video,
 * awaiting annotation, unplayable).
 */
export function requestDerivation(
  ctx: Pick<PipelineContext, 'repo'>,
  id: string,
  actor: string,
  wake: () => void,
): DerivationStatus {
  const seen = ctx.repo.get(id);
  if (!seen) throw new SealdockError('NOT_FOUND', `no evidence ${id}`);
  // A player sends many Range requests: only the first one that finds a wait takes the write lock.
  const brought =
    (seen.media as ItemMedia | null)?.waiting?.requestedAt === undefined &&
    (seen.media as ItemMedia | null)?.waiting !== undefined &&
    ctx.repo.readModifyWrite(id, (item) => {
      const media = item?.media as ItemMedia | null | undefined;
      const waiting = media?.waiting;
      if (!item || !media || !waiting || waiting.requestedAt || item.state !== 'deriving') return false;
      const at = nowIso();
      ctx.repo.update(
        id,
        { media: { ...media, waiting: { ...waiting, requestedAt: at, requestedBy: actor } }, nextAttemptAt: at },
        { actor, action: 'derivation-requested', details: { waited: waiting.for, since: waiting.since } },
      );
      return true;
    });
  if (brought) wake();
  const item = brought ? ctx.repo.get(id)! : seen;
  const state = item.state === 'failed' ? (item.resumeState ?? item.state) : item.state;
  if (!PENDING_STATES.has(state)) return { status: 'none', state };
  const waiting = (item.media as ItemMedia | null)?.waiting;
  return {
    status: 'pending',
    state,
    ...(waiting && !waiting.requestedAt ? { waiting: waiting.for } : {}),
    progress: item.progress ?? 0,
    retryAfterSeconds: 10,
  };
}
