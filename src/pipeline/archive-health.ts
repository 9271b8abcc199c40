// Whether the archive can take evidence now. A daemon that starts while the archive is
// unreachable (S3 down, network cut) starts anyway, degraded: docks keep being taken into the
// spool, nothing is archived, `/readyz` answers 503 with the reason and `status` shows it, and the
// archive is checked again with back-off until it answers; then the backlog drains. An archive that
// answers but is unfit (no bucket, no Object Lock, no versioning, access denied) is never
// "degraded": it is a configuration error and refuses the start.
import type { Logger } from 'pino';
import type { ArchiveBackend } from '../archive/archive.js';
import { errorMessage, isSealdockError } from '../errors.js';
import { metrics } from '../metrics.js';
import { nowIso } from '../util/time.js';
import { retryDelayMs, type RetryPolicy } from './states.js';

export interface ArchiveHealthState {
  ready: boolean;
  /** Why not, when not ready. */
  reason: string | null;
  /** When the current state began. */
  since: string;
  /** Checks that failed since the archive was last ready. */
  failedChecks: number;
  nextCheckAt: string | null;
}

export class ArchiveHealth {
  private current: ArchiveHealthState = {
    ready: false,
    reason: 'not checked yet',
    since: nowIso(),
    failedChecks: 0,
    nextCheckAt: null,
  };
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly archive: Pick<ArchiveBackend, 'checkReady'>,
    private readonly log: Logger,
    private readonly retry: RetryPolicy,
    /** Called when the archive becomes ready again (the pipeline drains its backlog). */
    private readonly onReady: () => void = () => undefined,
  ) {}

  get ready(): boolean {
    return this.current.ready;
  }

  state(): ArchiveHealthState {
    return { ...this.current };
  }

  /**
   * The check at start. Unreachable → degraded, retried in the background; unfit → throws (the
   * daemon refuses to start).
   */
  async checkAtStart(): Promise<void> {
    try {
      await this.archive.checkReady();
      this.becomeReady();
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      this.becomeDegraded(errorMessage(err));
    }
  }

  /** A stage found the archive unreachable: stop starting archive work until a check passes. */
  reportUnavailable(err: unknown): void {
    if (!isUnreachable(err) || !this.current.ready) return;
    this.becomeDegraded(errorMessage(err));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private becomeReady(): void {
    const was = this.current;
    this.current = { ready: true, reason: null, since: nowIso(), failedChecks: 0, nextCheckAt: null };
    metrics.archiveReachable.set(1);
    if (!was.ready && was.reason !== 'not checked yet') {
      this.log.info({ degradedSince: was.since, failedChecks: was.failedChecks }, 'archive reachable again: draining');
    }
    this.onReady();
  }

  private becomeDegraded(reason: string): void {
    metrics.archiveReachable.set(0);
    const failedChecks = this.current.ready ? 1 : this.current.failedChecks + 1;
    const delay = retryDelayMs(failedChecks, this.retry);
    this.current = {
      ready: false,
      reason,
      since: this.current.ready || this.current.reason === 'not checked yet' ? nowIso() : this.current.since,
      failedChecks,
      nextCheckAt: new Date(Date.now() + delay).toISOString(),
    };
    this.log.warn(
      { reason, failedChecks, retryInMs: delay },
      'archive unreachable: degraded — footage is taken into the spool and archived when it returns',
    );
    this.schedule(delay);
  }

  private schedule(delay: number): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.recheck();
    }, delay);
    this.timer.unref();
  }

  private async recheck(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.archive.checkReady();
      this.becomeReady();
    } catch (err) {
      if (isUnreachable(err)) {
        this.becomeDegraded(errorMessage(err));
        return;
      }
      // It answers, but is not fit (e.g. Object Lock gone): stay degraded, loudly, never archive there.
      this.current = { ...this.current, reason: errorMessage(err), failedChecks: this.current.failedChecks + 1 };
      this.log.error({ err: errorMessage(err) }, 'archive answers but is not fit for evidence: still degraded');
      this.schedule(retryDelayMs(this.current.failedChecks, this.retry));
    }
  }
}

function isUnreachable(err: unknown): boolean {
  return isSealdockError(err, 'ARCHIVE_UNAVAILABLE');
}
