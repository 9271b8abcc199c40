// Watches every configured dock and hands each finished file to intake exactly once.
// A file is finished when its size and mtime (and its sidecar's, if any) have not changed for
// the quiet period; symbolic links, special files and temporary names are never taken.
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config, DockConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import type { IntakeResult, IntakeService } from '../intake/intake-service.js';
import { deviceIdFor, isIgnoredName, isSidecarName, SIDECAR_SUFFIX, sidecarNameFor, splitRelPath } from './names.js';
import { isStable, observe, type Observation } from './stability.js';
import { DockWatcher } from './watcher.js';

interface Tracked {
  dock: DockConfig;
  obs: Observation | undefined;
  /** after an intake error: not before this time */
  retryAt: number;
  failures: number;
  /** for sidecars: the size:mtime last handed over, so each version is handed over once */
  handled?: string | undefined;
}

const MAX_PARALLEL_INTAKES = 2;

export class DockService {
  private readonly tracked = new Map<string, Tracked>();
  private readonly inFlight = new Set<string>();
  private readonly watchers: DockWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private ticking = false;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      config: Config;
      intake: IntakeService;
      log: Logger;
      /** told after every intake that produced or re-found an item (wakes the pipeline) */
      onIntake?: (result: IntakeResult) => void;
      /** a settled sidecar whose footage is not waiting on the dock: it may belong to an item already taken */
      onSidecar?: (dock: DockConfig, relPath: string, absPath: string) => Promise<void>;
    },
  ) {}

  async start(): Promise<void> {
    for (const dock of this.deps.config.docks) {
      await fsp.mkdir(dock.path, { recursive: true });
      const watcher = new DockWatcher(dock.path, {
        onCandidate: (p) => this.track(dock, p),
        onGone: (p) => this.tracked.delete(p),
        onError: (err) => this.deps.log.error({ dockId: dock.id, err: err.message }, 'dock watcher error'),
      });
      await watcher.start();
      this.watchers.push(watcher);
      this.deps.log.info({ dockId: dock.id, path: dock.path, release: dock.release }, 'watching dock');
    }
    this.timer = setInterval(() => void this.tick(), this.deps.config.intake.pollIntervalMs);
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.watchers.map((w) => w.close()));
    await Promise.allSettled([...this.running]);
  }

  /** Files seen but not yet taken (for status). */
  pending(): number {
    return [...this.tracked.keys()].filter((p) => !isSidecarName(p)).length;
  }

  private track(dock: DockConfig, absPath: string): void {
    if (isIgnoredName(path.basename(absPath))) return;
    const existing = this.tracked.get(absPath);
    this.tracked.set(absPath, {
      dock,
      obs: existing?.obs,
      retryAt: existing?.retryAt ?? 0,
      failures: existing?.failures ?? 0,
    });
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const now = Date.now();
      for (const [absPath, t] of this.tracked) {
        const st = await fsp.lstat(absPath).catch(() => null);
        if (!st) {
          this.tracked.delete(absPath);
          continue;
        }
        if (!st.isFile()) {
          if (st.isSymbolicLink())
            this.deps.log.warn({ dockId: t.dock.id, path: absPath }, 'symbolic link on dock ignored');
          this.tracked.delete(absPath);
          continue;
        }
        t.obs = observe(t.obs, st.size, st.mtimeMs, now);
      }
      this.fillSlots(now);
    } finally {
      this.ticking = false;
    }
  }

  /**
   * Starts intakes of files already seen stable, up to the limit. Called by the tick and again the
   * moment an intake ends, so a burst drains at the disk's pace instead of two files per tick.
   */
  private fillSlots(now: number): void {
    const quiet = this.deps.config.intake.quietPeriodMs;
    for (const [absPath, t] of this.tracked) {
      if (this.stopped || this.inFlight.size >= MAX_PARALLEL_INTAKES) break;
      if (isSidecarName(absPath)) {
        this.maybeHandOverSidecar(absPath, t, now, quiet);
        continue;
      }
      if (this.inFlight.has(absPath) || !t.obs || now < t.retryAt) continue;
      // An empty file is a recorder that has not written yet (or a placeholder), never footage.
      if (t.obs.size === 0 || !isStable(t.obs, now, quiet) || !this.sidecarSettled(absPath, now, quiet)) continue;
      this.take(absPath, t);
    }
  }

  private maybeHandOverSidecar(absPath: string, t: Tracked, now: number, quiet: number): void {
    if (!this.deps.onSidecar || !t.obs || !isStable(t.obs, now, quiet) || this.inFlight.has(absPath)) return;
    const version = `${t.obs.size}:${t.obs.mtimeMs}`;
    const footage = absPath.slice(0, -SIDECAR_SUFFIX.length);
    if (t.handled === version || this.tracked.has(footage) || this.inFlight.has(footage)) return;
    const rel = path.relative(t.dock.path, absPath).split(path.sep).join('/');
    if (!splitRelPath(rel)) return;
    t.handled = version;
    this.inFlight.add(absPath);
    const job = this.deps
      .onSidecar(t.dock, rel, absPath)
      .catch((err: unknown) =>
        this.deps.log.warn({ dockId: t.dock.id, relPath: rel, err: errorMessage(err) }, 'late sidecar not applied'),
      )
      .finally(() => {
        this.inFlight.delete(absPath);
        this.running.delete(job);
      });
    this.running.add(job);
  }

  private sidecarSettled(absPath: string, now: number, quiet: number): boolean {
    const side = this.tracked.get(path.join(path.dirname(absPath), sidecarNameFor(path.basename(absPath))));
    return !side || (side.obs !== undefined && isStable(side.obs, now, quiet));
  }

  private take(absPath: string, t: Tracked): void {
    const rel = path.relative(t.dock.path, absPath).split(path.sep).join('/');
    const parts = splitRelPath(rel);
    if (!parts || !t.obs) {
      this.deps.log.warn({ dockId: t.dock.id, path: absPath }, 'path outside the dock or not a plain name; ignored');
      this.tracked.delete(absPath);
      return;
    }
    const obs = t.obs;
    this.inFlight.add(absPath);
    const job = this.deps.intake
      .ingestDockFile({
        dock: t.dock,
        relPath: rel,
        absPath,
        deviceId: deviceIdFor(t.dock.layout, parts),
        size: obs.size,
        mtimeMs: obs.mtimeMs,
      })
      .then((result) => {
        if (result.kind === 'changed') {
          this.deps.log.info(
            { dockId: t.dock.id, relPath: rel, reason: result.reason },
            'file not finished yet; waiting',
          );
          t.obs = undefined;
          return;
        }
        // Taken: forget it until the watcher reports it changed again.
        if (this.tracked.get(absPath) === t) this.tracked.delete(absPath);
        this.deps.onIntake?.(result);
      })
      .catch((err: unknown) => {
        t.failures++;
        t.retryAt = Date.now() + Math.min(1000 * 2 ** t.failures, 300_000);
        this.deps.log.error(
          { dockId: t.dock.id, relPath: rel, err: errorMessage(err), failures: t.failures },
          'intake failed; the dock file is kept and will be retried',
        );
      })
      .finally(() => {
        this.inFlight.delete(absPath);
        this.running.delete(job);
        this.fillSlots(Date.now());
      });
    this.running.add(job);
  }
}
