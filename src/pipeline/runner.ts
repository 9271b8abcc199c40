// Drives items through their stages. Three pools, so that preserving new evidence never waits
// on a media tool and a remux never waits behind a transcode: `pipeline.workers` slots for
// preserve/archive, the media step (probe + classify, under its own short timeout) with
// `media.concurrency` slots of its own, `media.concurrency` for derivations without the encoder
// (remux, audio, none) and `media.transcodeConcurrency` for those with it. A failed stage is
// retried with back-off, forever; a stage interrupted by shutdown is not a failure and simply
// runs again after restart.
import type { EvidenceRecord } from '../catalog/evidence-repo.js';
import { releaseDockFiles } from '../docks/release.js';
import { errorMessage } from '../errors.js';
import { DAEMON_ACTOR } from '../intake/intake-service.js';
import { metrics } from '../metrics.js';
import { CoalescingRun } from '../util/coalescing-run.js';
import { nowIso } from '../util/time.js';
import type { PipelineContext } from './context.js';
import type { ItemMedia } from './item-elements.js';
import { STAGES, type StageHandler } from './stages.js';
import { retryDelayMs, stageFor, type Stage, type State } from './states.js';

interface Pool {
  states: State[];
  limit: number;
  running: Set<string>;
}

/** Due `deriving` rows looked at per query when sorting them into the remux and transcode pools. */
const DERIVE_PAGE = 64;
const MAX_DERIVE_PAGES = 16;

export class PipelineRunner {
  private readonly pools: Pool[];
  private readonly remuxPool: Pool;
  private readonly transcodePool: Pool;
  private readonly inFlight = new Set<string>();
  private readonly jobs = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly looks = new CoalescingRun(() => this.pump(), {
    stopped: () => this.stopped,
    onError: (err) =>
      this.ctx.log.error({ err: errorMessage(err) }, 'pipeline could not look for work; the next poll retries'),
  });
  private sweeping: Promise<void> | null = null;
  /** evidence id → not before (ms): a dock that refuses a delete is not asked again every second */
  private readonly releaseBackoff = new Map<string, { at: number; failures: number }>();
  /** evidence id → not before (ms): items whose failure the catalog could not record */
  private readonly unrecorded = new Map<string, { at: number; failures: number }>();

  constructor(
    private readonly ctx: PipelineContext,
    private readonly handlers: Record<Stage, StageHandler> = STAGES,
    private readonly pollMs = 1000,
  ) {
    this.pools = [
      { states: ['received', 'sealed'], limit: ctx.config.pipeline.workers, running: new Set() },
      // The media step (probe, under its own short timeout): a hung tool holds a slot here, never
      // a preserve slot.
      { states: ['preserved'], limit: ctx.media.queues.remux.concurrency, running: new Set() },
    ];
    this.remuxPool = { states: ['deriving'], limit: ctx.media.queues.remux.concurrency, running: new Set() };
    this.transcodePool = { states: ['deriving'], limit: ctx.media.queues.transcode.concurrency, running: new Set() };
  }

  start(): void {
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.wake();
  }

  /** Look for work now (called after intake and annotation); asked during a look, looks once more after it. */
  wake(): void {
    void this.looks.run();
  }

  private pump(): void {
    this.sweepReleases();
    // Degraded (archive unreachable): intake still fills the spool; stages wait for the archive.
    if (this.ctx.archiveHealth && !this.ctx.archiveHealth.ready) return;
    const now = nowIso();
    for (const pool of this.pools) {
      const free = pool.limit - pool.running.size;
      if (free <= 0) continue;
      for (const item of this.ctx.repo.due(pool.states, now, free, this.heldBack())) this.run(pool, item);
    }
    this.pumpDerivations(now);
  }

  /**
   * Sorts due `deriving` items into the remux and transcode pools by their plan, paging past the
   * ones whose pool is full so that a backlog of transcodes never hides a remux behind it.
   */
  private pumpDerivations(now: string): void {
    let remuxFree = this.remuxPool.limit - this.remuxPool.running.size;
    let transcodeFree = this.transcodePool.limit - this.transcodePool.running.size;
    const seen = new Set(this.inFlight);
    for (let pages = 0; pages < MAX_DERIVE_PAGES && (remuxFree > 0 || transcodeFree > 0); pages++) {
      const page = this.ctx.repo.due(['deriving'], now, DERIVE_PAGE, seen);
      for (const item of page) {
        seen.add(item.id);
        if (this.needsEncoder(item)) {
          if (transcodeFree === 0) continue;
          transcodeFree--;
          this.run(this.transcodePool, item);
        } else {
          if (remuxFree === 0) continue;
          remuxFree--;
          this.run(this.remuxPool, item);
        }
      }
      if (page.length < DERIVE_PAGE) return;
    }
  }

  private needsEncoder(item: EvidenceRecord): boolean {
    const probe = (item.media as ItemMedia | null)?.probe;
    return probe ? this.ctx.media.laneOf(this.ctx.media.plan(probe)) === 'transcode' : false;
  }

  /**
   * Releases dock files (kept or deleted per dock) whose original is verified in the archive,
   * re-docked copies included. Apart from the stages on purpose: a dock that cannot delete
   * (read-only share, file in use) is retried with back-off and never fails the evidence item.
   */
  private sweepReleases(): void {
    if (this.sweeping || this.stopped) return;
    const now = Date.now();
    const ids = this.ctx.repo.dockFiles
      .releasableItems(100)
      .filter((id) => (this.releaseBackoff.get(id)?.at ?? 0) <= now && !this.inFlight.has(id));
    if (ids.length === 0) return;
    this.sweeping = (async () => {
      for (const id of ids) {
        if (this.stopped) break;
        try {
          await releaseDockFiles(this.ctx, id, DAEMON_ACTOR);
          this.releaseBackoff.delete(id);
        } catch (err) {
          const failures = (this.releaseBackoff.get(id)?.failures ?? 0) + 1;
          this.releaseBackoff.set(id, {
            at: Date.now() + retryDelayMs(failures, this.ctx.config.pipeline.retry),
            failures,
          });
          this.ctx.log.warn(
            { evidenceId: id, err: errorMessage(err), failures },
            'dock file release failed; will retry',
          );
        }
      }
    })().finally(() => {
      this.sweeping = null;
    });
  }

  /** In flight, or held back after a failure the catalog could not record. */
  private heldBack(): Set<string> {
    if (this.unrecorded.size === 0) return this.inFlight;
    const now = Date.now();
    const held = new Set(this.inFlight);
    for (const [id, b] of this.unrecorded) {
      if (b.at > now) held.add(id);
      else this.unrecorded.delete(id);
    }
    return held;
  }

  private run(pool: Pool, item: EvidenceRecord): void {
    const state = item.state === 'failed' ? item.resumeState : item.state;
    const stage = state ? stageFor(state) : null;
    if (!state || !stage) return;
    this.inFlight.add(item.id);
    pool.running.add(item.id);
    const startedAt = Date.now();
    // No path out of a job may reject: a rejection nobody awaits would take the process down.
    const job = this.handlers[stage](this.ctx, item)
      .then(() =>
        this.ctx.log.debug({ evidenceId: item.id, stage, startedAt, ms: Date.now() - startedAt }, 'stage ran'),
      )
      .catch((err: unknown) => this.failed(item, state, stage, err))
      .catch((err: unknown) => this.unrecordedFailure(item, stage, err))
      .finally(() => {
        this.inFlight.delete(item.id);
        pool.running.delete(item.id);
        this.jobs.delete(job);
        this.wake();
      });
    this.jobs.add(job);
  }

  private async failed(item: EvidenceRecord, state: State, stage: Stage, err: unknown): Promise<void> {
    if (this.ctx.signal.aborted) {
      this.ctx.log.info({ evidenceId: item.id, stage }, 'stage interrupted by shutdown; it resumes after restart');
      return;
    }
    this.ctx.archiveHealth?.reportUnavailable(err);
    const message = errorMessage(err);
    metrics.stageFailures.inc({ stage });
    const { attempts, delay } = await this.ctx.repo.commitDurably(() => {
      const current = this.ctx.repo.get(item.id);
      const attempts = (current?.state === 'failed' ? current.attempts : 0) + 1;
      const delay = retryDelayMs(attempts, this.ctx.config.pipeline.retry);
      this.ctx.repo.update(
        item.id,
        {
          state: 'failed',
          resumeState: state,
          stage,
          error: message,
          attempts,
          nextAttemptAt: new Date(Date.now() + delay).toISOString(),
          progress: null,
        },
        { actor: DAEMON_ACTOR, action: 'failed', details: { stage, error: message, attempts, retryInMs: delay } },
      );
      return { attempts, delay };
    });
    this.ctx.log.warn(
      { evidenceId: item.id, stage, err: message, attempts, retryInMs: delay },
      'stage failed; will retry',
    );
  }

  /**
   * The failure could not even be recorded (the catalog refused the write: disk full, locked).
   * The item keeps its last recorded state, so it would be picked again at once: hold it back
   * in memory for the same back-off instead, and say so loudly.
   */
  private unrecordedFailure(item: EvidenceRecord, stage: Stage, err: unknown): void {
    const failures = (this.unrecorded.get(item.id)?.failures ?? 0) + 1;
    const delay = retryDelayMs(failures, this.ctx.config.pipeline.retry);
    this.unrecorded.set(item.id, { at: Date.now() + delay, failures });
    this.ctx.log.error(
      { evidenceId: item.id, stage, err: errorMessage(err), retryInMs: delay },
      'stage failed and the failure could not be recorded in the catalog; will retry',
    );
  }

  /** Running jobs (for status). */
  running(): string[] {
    return [...this.inFlight];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled([...this.jobs, ...(this.sweeping ? [this.sweeping] : [])]);
  }

  /** Waits until no job is running (tests and `--once` style use). */
  async idle(): Promise<void> {
    while (this.jobs.size > 0) await Promise.allSettled([...this.jobs]);
  }
}
