// Watches every configured dock and hands each finished file to intake exactly once, and says of
// everything else on a dock why it is not taken — never silently.
// A file is finished when its size and mtime (and its sidecar's, if any) have not changed for
// the quiet period; an MP4/MOV whose box structure is incomplete waits longer (stalledGraceMs).
// Paths are raw bytes throughout (a name need not be UTF-8): the watcher is the fast path, our own
// byte-wise walk of each dock (scan.ts) the reconciliation that nothing depends on chokidar alone.
import type { Stats } from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config, DockConfig } from '../config/schema.js';
import { errorMessage } from '../errors.js';
import { metrics } from '../metrics.js';
import type { IntakeResult, IntakeService } from '../intake/intake-service.js';
import { footageNameOf, isSidecarName, sidecarNameFor } from '../intake/sidecar-names.js';
import { displayName } from '../util/file-names.js';
import { inspectIsoBmff, type BmffVerdict } from './iso-bmff.js';
import {
  baseName,
  deviceIdFor,
  isIgnoredName,
  NOT_TAKEN_EXPLAINED,
  NOT_TAKEN_REASONS,
  splitRelPath,
  type NotTakenReason,
} from './names.js';
import { scanDock } from './scan.js';
import { isStable, observe, type Observation } from './stability.js';
import { DockWatcher } from './watcher.js';
import { CoalescingRun } from '../util/coalescing-run.js';

interface Tracked {
  dock: DockConfig;
  abs: Buffer;
  rel: Buffer;
  obs: Observation | undefined;
  /** after an intake error: not before this time */
  retryAt: number;
  failures: number;
  /** for sidecars: the size:mtime last handed over, so each version is handed over once */
  handled?: string | undefined;
  /** the ISO BMFF verdict for the size:mtime it was made for */
  structure?: { version: string; verdict: BmffVerdict } | undefined;
  inspecting?: boolean;
}

interface Finding {
  dockId: string;
  rel: Buffer;
  reason: NotTakenReason;
}

/** What the dock service reports in `status`, the status file and /metrics. */
export interface DockReport {
  /** files seen but not taken yet (settling, or an incomplete MP4/MOV within its grace) */
  pending: number;
  waiting: { dockId: string; path: string; why: string }[];
  notTaken: {
    total: number;
    byReason: Partial<Record<NotTakenReason, number>>;
    /** the first LISTED_MAX, paths shown escaped */
    files: { dockId: string; path: string; reason: NotTakenReason }[];
  };
}

const MAX_PARALLEL_INTAKES = 2;
/** lstat calls in flight at once when looking at the tracked files */
const LSTAT_BATCH = 64;
/** the dock is walked this long after a watcher event… */
const SCAN_SOON_MS = 100;
/** …and at most this often for watcher events */
const SCAN_AFTER_EVENTS_EVERY_MS = 1000;
const LISTED_MAX = 200;
const UNREADABLE_CODES = new Set(['EACCES', 'EPERM', 'ENAMETOOLONG', 'ELOOP', 'EIO']);

const keyOf = (abs: Buffer) => abs.toString('latin1');

export class DockService {
  private readonly tracked = new Map<string, Tracked>();
  /** files taken (or found already taken), by path: a scan re-tracks one only when it changed */
  private readonly taken = new Map<string, { size: number; mtimeMs: number; ino: number }>();
  private readonly inFlight = new Set<string>();
  private readonly watchers: DockWatcher[] = [];
  /** not-taken findings of the last walk of each dock, and of single files (empty, unreadable) */
  private readonly scanFindings = new Map<string, Map<string, Finding>>();
  private readonly fileFindings = new Map<string, Finding>();
  /** file+reason already audited in this run, so a finding is audited once, not on every walk */
  private readonly audited = new Set<string>();
  private readonly roots = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private scanTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** Looks at the tracked files (tick); one at a time, asked during one, once more after it. */
  private readonly looks = new CoalescingRun(() => this.lookAtTracked(), {
    stopped: () => this.stopped,
    onError: (err) => this.deps.log.error({ err: errorMessage(err) }, 'dock look failed; the next poll retries'),
  });
  /** the next look sooner than the poll (a watcher event, a quiet period ending) and when it is due */
  private soon: { timer: NodeJS.Timeout; at: number } | null = null;
  /** Walks of every dock (scan); one at a time, asked during one, once more after it. */
  private readonly walks = new CoalescingRun(() => this.walkDocks(), {
    stopped: () => this.stopped,
    onError: (err) => this.deps.log.error({ err: errorMessage(err) }, 'dock walk failed; the next one retries'),
  });
  private scanSoonTimer: NodeJS.Timeout | null = null;
  private lastEventWalk = 0;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      config: Config;
      intake: IntakeService;
      log: Logger;
      /** told after every intake that produced or re-found an item (wakes the pipeline) */
      onIntake?: (result: IntakeResult) => void;
      /** a settled sidecar whose footage is not waiting on the dock: it may belong to an item already taken */
      onSidecar?: (dock: DockConfig, relPath: Buffer, absPath: Buffer) => Promise<void>;
    },
  ) {}

  async start(): Promise<void> {
    const { intake } = this.deps.config;
    for (const dock of this.deps.config.docks) {
      const root = path.resolve(dock.path);
      this.roots.set(dock.id, root);
      await fsp.mkdir(root, { recursive: true });
      const watcher = new DockWatcher(
        root,
        {
          onCandidate: (p) => this.trackPath(dock, Buffer.from(p, 'utf8')),
          onGone: (p) => this.tracked.delete(keyOf(Buffer.from(p, 'utf8'))),
          onFolder: () => this.scanSoon(),
          onError: (err) => this.deps.log.error({ dockId: dock.id, err: err.message }, 'dock watcher error'),
        },
        { depth: intake.maxDepth },
      );
      await watcher.start();
      this.watchers.push(watcher);
      this.deps.log.info({ dockId: dock.id, path: root, release: dock.release }, 'watching dock');
    }
    await this.scan();
    this.timer = setInterval(() => void this.tick(), intake.pollIntervalMs);
    this.scanTimer = setInterval(() => void this.scan(), intake.scanIntervalMs);
    void this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon.timer);
    if (this.scanTimer) clearInterval(this.scanTimer);
    if (this.scanSoonTimer) clearTimeout(this.scanSoonTimer);
    await Promise.all(this.watchers.map((w) => w.close()));
    await this.walks.idle();
    await Promise.allSettled([...this.running]);
  }

  /** Files seen but not yet taken (for status). */
  pending(): number {
    return [...this.tracked.values()].filter((t) => !isSidecarName(t.rel)).length;
  }

  report(): DockReport {
    const findings = [
      ...[...this.scanFindings.values()].flatMap((m) => [...m.values()]),
      ...this.fileFindings.values(),
    ];
    const byReason: Partial<Record<NotTakenReason, number>> = {};
    for (const f of findings) byReason[f.reason] = (byReason[f.reason] ?? 0) + 1;
    const now = Date.now();
    const waiting = [...this.tracked.values()]
      .filter((t) => t.structure?.verdict.kind === 'incomplete' && t.obs)
      .map((t) => ({
        dockId: t.dock.id,
        path: displayName(t.rel),
        why: `${(t.structure!.verdict as { why: string }).why}; taken as it is after ${Math.ceil(
          Math.max(0, this.deps.config.intake.stalledGraceMs - (now - t.obs!.since)) / 1000,
        )} s more without change`,
      }));
    return {
      pending: this.pending(),
      waiting,
      notTaken: {
        total: findings.length,
        byReason,
        files: findings
          .slice(0, LISTED_MAX)
          .map((f) => ({ dockId: f.dockId, path: displayName(f.rel), reason: f.reason })),
      },
    };
  }

  /** Every dock and reason has a series (0 when none), so an alert sees a value, not absence. */
  private publishMetrics(): void {
    for (const dock of this.deps.config.docks) {
      const counts = new Map<NotTakenReason, number>(NOT_TAKEN_REASONS.map((r) => [r, 0]));
      const findings = [...(this.scanFindings.get(dock.id)?.values() ?? []), ...this.fileFindings.values()];
      for (const f of findings) if (f.dockId === dock.id) counts.set(f.reason, counts.get(f.reason)! + 1);
      for (const [reason, n] of counts) metrics.docksNotTaken.set({ dock: dock.id, reason }, n);
      let waiting = 0;
      for (const t of this.tracked.values()) if (t.dock.id === dock.id && !isSidecarName(baseName(t.rel))) waiting++;
      metrics.docksWaiting.set({ dock: dock.id }, waiting);
    }
  }

  /** A path the watcher reported (UTF-8 names only; the walk finds the rest). */
  private trackPath(dock: DockConfig, abs: Buffer): void {
    const root = Buffer.from(`${this.roots.get(dock.id)!}/`, 'utf8');
    if (abs.length <= root.length || !abs.subarray(0, root.length).equals(root)) return;
    const rel = abs.subarray(root.length);
    const parts = splitRelPath(rel);
    // Deeper than the limit, or inside a hidden/temp folder: the walk reports the folder.
    if (!parts || parts.length - 1 > this.deps.config.intake.maxDepth || parts.some((p) => isIgnoredName(p))) return;
    this.track(dock, abs, Buffer.from(rel));
    // Seen now, not at the next poll: the quiet period starts counting from here (a burst of
    // events is one look).
    this.tickSoon(0);
    this.scanSoon();
  }

  private track(dock: DockConfig, abs: Buffer, rel: Buffer): void {
    const key = keyOf(abs);
    const existing = this.tracked.get(key);
    this.tracked.set(key, {
      dock,
      abs,
      rel,
      obs: existing?.obs,
      retryAt: existing?.retryAt ?? 0,
      failures: existing?.failures ?? 0,
      handled: existing?.handled,
      structure: existing?.structure,
    });
  }

  /**
   * A walk shortly after the watcher reported something (a burst of events is one walk, at most
   * one a second): chokidar, busy with a burst, missed whole device folders moved onto a dock
   * here (no event at all for them until the next walk, 30 s later).
   */
  private scanSoon(): void {
    if (this.scanSoonTimer || this.stopped) return;
    const delay = Math.max(SCAN_SOON_MS, this.lastEventWalk + SCAN_AFTER_EVENTS_EVERY_MS - Date.now());
    this.scanSoonTimer = setTimeout(() => {
      this.scanSoonTimer = null;
      this.lastEventWalk = Date.now();
      void this.scan().then(() => this.tickSoon(0));
    }, delay);
  }

  /**
   * One walk of every dock: tracks files the watcher missed or that changed, refreshes the
   * findings. Asked for while a walk runs, it walks once more after it (the folder may have been
   * passed already).
   */
  private scan(): Promise<void> {
    return this.walks.run();
  }

  private async walkDocks(): Promise<void> {
    for (const dock of this.deps.config.docks) {
      if (this.stopped) return;
      await this.scanOne(dock);
    }
    this.publishMetrics();
  }

  private async scanOne(dock: DockConfig): Promise<void> {
    const findings = new Map<string, Finding>();
    const seen = new Set<string>();
    for await (const e of scanDock(this.roots.get(dock.id)!, this.deps.config.intake.maxDepth)) {
      const key = keyOf(e.abs);
      if (e.kind === 'not-taken') {
        findings.set(key, { dockId: dock.id, rel: e.rel, reason: e.reason });
        continue;
      }
      seen.add(key);
      if (this.tracked.has(key) || this.inFlight.has(key)) continue;
      if (this.taken.has(key)) {
        const st = await fsp.lstat(e.abs).catch(() => null);
        if (st && this.isTakenAsIs(key, st)) continue;
        this.taken.delete(key);
      }
      this.track(dock, e.abs, e.rel);
    }
    for (const key of this.taken.keys()) if (!seen.has(key) && this.dockOfKey(key) === dock.id) this.taken.delete(key);
    this.scanFindings.set(dock.id, findings);
    for (const [key, f] of findings) this.auditOnce(key, f);
  }

  /** Taken already, and still the very file that was taken (same size, mtime and inode). */
  private isTakenAsIs(key: string, st: Stats): boolean {
    const before = this.taken.get(key);
    return before !== undefined && st.size === before.size && st.mtimeMs === before.mtimeMs && st.ino === before.ino;
  }

  private dockOfKey(key: string): string | undefined {
    for (const [id, root] of this.roots) if (key.startsWith(Buffer.from(`${root}/`).toString('latin1'))) return id;
    return undefined;
  }

  private auditOnce(key: string, f: Finding): void {
    const once = `${key}\u0000${f.reason}`;
    if (this.audited.has(once)) return;
    this.audited.add(once);
    const explanation = NOT_TAKEN_EXPLAINED[f.reason];
    this.deps.log.warn({ dockId: f.dockId, path: displayName(f.rel), reason: f.reason }, `not taken: ${explanation}`);
    try {
      this.deps.intake.recordNotTaken(f.dockId, f.rel, f.reason, explanation);
    } catch (err) {
      this.audited.delete(once); // try again on the next walk
      this.deps.log.error({ err: errorMessage(err) }, 'could not audit a dock file not taken');
    }
  }

  private setFileFinding(key: string, t: Tracked, reason: NotTakenReason | null): void {
    if (reason === null) {
      this.fileFindings.delete(key);
      return;
    }
    const f = { dockId: t.dock.id, rel: t.rel, reason };
    this.fileFindings.set(key, f);
    this.auditOnce(key, f);
  }

  /** Looks at the tracked files in `delayMs` (or sooner, if a look is already due sooner). */
  private tickSoon(delayMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + delayMs;
    if (this.soon && this.soon.at <= at) return;
    if (this.soon) clearTimeout(this.soon.timer);
    this.soon = {
      at,
      timer: setTimeout(() => {
        this.soon = null;
        void this.tick();
      }, delayMs),
    };
  }

  /**
   * Observes every tracked file (size, mtime) and starts what is stable. Runs every poll, on
   * watcher events, and the moment the earliest quiet period ends, so a file is taken when its
   * quiet period is over, not up to two polls later. The rule is the same either way: size and
   * mtime unchanged for the whole quiet period on our clock, looked at every poll in between.
   */
  private async tick(): Promise<void> {
    await this.looks.run();
  }

  private async lookAtTracked(): Promise<void> {
    const entries = [...this.tracked];
    const stats: (Stats | null)[] = [];
    for (let i = 0; i < entries.length; i += LSTAT_BATCH) {
      const batch = entries.slice(i, i + LSTAT_BATCH);
      stats.push(...(await Promise.all(batch.map(([, t]) => fsp.lstat(t.abs).catch(() => null)))));
    }
    const now = Date.now();
    entries.forEach(([key, t], i) => {
      const st = stats[i];
      if (this.tracked.get(key) !== t) return; // re-tracked meanwhile: the next look sees it
      if (!st || !st.isFile()) {
        // Gone, or replaced by something that is not a file: the walk reports what it is.
        this.tracked.delete(key);
        this.fileFindings.delete(key);
        return;
      }
      if (this.isTakenAsIs(key, st)) {
        // A late watcher event for a file already taken (chokidar reported some seconds
        // late in a burst): the walk's rule, it is tracked again only once it changed.
        this.tracked.delete(key);
        return;
      }
      t.obs = observe(t.obs, st.size, st.mtimeMs, now);
    });
    this.fillSlots(now);
    this.publishMetrics();
    this.lookWhenQuietEnds();
  }

  /** Schedules a look for the moment the earliest unsettled file's quiet period ends. */
  private lookWhenQuietEnds(): void {
    const quiet = this.deps.config.intake.quietPeriodMs;
    const now = Date.now();
    let next = Infinity;
    for (const [key, t] of this.tracked) {
      if (!t.obs || this.inFlight.has(key) || isStable(t.obs, now, quiet)) continue;
      next = Math.min(next, t.obs.since + quiet);
    }
    if (next !== Infinity) this.tickSoon(Math.max(0, next - now));
  }

  /**
   * Starts intakes of files already seen stable, up to the limit. Called by the tick and again the
   * moment an intake ends, so a burst drains at the disk's pace instead of two files per tick.
   */
  private fillSlots(now: number): void {
    const quiet = this.deps.config.intake.quietPeriodMs;
    for (const [key, t] of this.tracked) {
      if (this.stopped || this.inFlight.size >= MAX_PARALLEL_INTAKES) break;
      if (isSidecarName(baseName(t.rel))) {
        this.maybeHandOverSidecar(key, t, now, quiet);
        continue;
      }
      if (this.inFlight.has(key) || !t.obs || now < t.retryAt) continue;
      if (!isStable(t.obs, now, quiet) || !this.sidecarSettled(t, now, quiet)) continue;
      // An empty file is a recorder that has not written yet (or a placeholder), never footage.
      this.setFileFinding(key, t, t.obs.size === 0 ? 'empty' : null);
      if (t.obs.size === 0 || !this.structureAllows(t, now)) continue;
      this.take(key, t);
    }
  }

  /**
   * An MP4/MOV whose boxes are incomplete is most likely a copy that paused: it waits for the
   * longer grace, then is taken as what it is (intake preserves whatever bytes are there). The
   * box headers are read once per size:mtime, in the background; the slots are filled again after.
   */
  private structureAllows(t: Tracked, now: number): boolean {
    const obs = t.obs!;
    const version = `${obs.size}:${obs.mtimeMs}`;
    if (t.structure?.version !== version) {
      if (t.inspecting) return false;
      t.inspecting = true;
      void inspectIsoBmff(t.abs, obs.size)
        .catch((): BmffVerdict => ({ kind: 'incomplete', why: 'could not read its structure' }))
        .then((verdict) => {
          t.inspecting = false;
          t.structure = { version, verdict };
          if (verdict.kind === 'incomplete')
            this.deps.log.info(
              { dockId: t.dock.id, relPath: displayName(t.rel), why: verdict.why },
              'MP4/MOV structure incomplete: waiting for the stalled-copy grace before taking it',
            );
          this.fillSlots(Date.now());
        });
      return false;
    }
    return t.structure.verdict.kind !== 'incomplete' || now - obs.since >= this.deps.config.intake.stalledGraceMs;
  }

  private maybeHandOverSidecar(key: string, t: Tracked, now: number, quiet: number): void {
    if (!this.deps.onSidecar || !t.obs || !isStable(t.obs, now, quiet) || this.inFlight.has(key)) return;
    const version = `${t.obs.size}:${t.obs.mtimeMs}`;
    const footage = keyOf(footageNameOf(t.abs));
    if (t.handled === version || this.tracked.has(footage) || this.inFlight.has(footage)) return;
    t.handled = version;
    this.inFlight.add(key);
    const job = this.deps
      .onSidecar(t.dock, t.rel, t.abs)
      .catch((err: unknown) =>
        this.deps.log.warn(
          { dockId: t.dock.id, relPath: displayName(t.rel), err: errorMessage(err) },
          'late sidecar not applied',
        ),
      )
      .finally(() => {
        this.inFlight.delete(key);
        this.running.delete(job);
        this.fillSlots(Date.now());
      });
    this.running.add(job);
  }

  private sidecarSettled(t: Tracked, now: number, quiet: number): boolean {
    const side = this.tracked.get(keyOf(sidecarNameFor(t.abs)));
    return !side || (side.obs !== undefined && isStable(side.obs, now, quiet));
  }

  private take(key: string, t: Tracked): void {
    const parts = splitRelPath(t.rel);
    if (!parts || !t.obs) {
      this.tracked.delete(key);
      return;
    }
    const obs = t.obs;
    const shown = displayName(t.rel);
    // The sidecar as it stands now (settled): a new item's intake reads it, so this version of it
    // is not handed over again as a late sidecar; a later change of it still is.
    const sidecar = this.tracked.get(keyOf(sidecarNameFor(t.abs)));
    const sidecarVersion = sidecar?.obs ? `${sidecar.obs.size}:${sidecar.obs.mtimeMs}` : undefined;
    this.inFlight.add(key);
    const startedAt = Date.now();
    const job = this.deps.intake
      .ingestDockFile({
        dock: t.dock,
        relPath: t.rel,
        absPath: t.abs,
        deviceId: deviceIdFor(t.dock.layout, parts),
        size: obs.size,
        mtimeMs: obs.mtimeMs,
      })
      .then(async (result) => {
        if (result.kind === 'changed') {
          this.deps.log.info(
            { dockId: t.dock.id, relPath: shown, reason: result.reason },
            'file not finished yet; waiting',
          );
          t.obs = undefined;
          return;
        }
        this.deps.log.debug(
          {
            evidenceId: result.kind === 'new' ? result.evidence.id : result.evidenceId,
            dockId: t.dock.id,
            relPath: shown,
            startedAt,
            ms: Date.now() - startedAt,
            seenAt: obs.since,
            result: result.kind,
          },
          'intake ran',
        );
        if (result.kind === 'new' && sidecar && sidecarVersion) sidecar.handled = sidecarVersion;
        this.setFileFinding(key, t, null);
        // Taken: forget it until the watcher or a walk sees it changed.
        const st = await fsp.lstat(t.abs).catch(() => null);
        if (st) this.taken.set(key, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
        if (this.tracked.get(key) === t) this.tracked.delete(key);
        this.deps.onIntake?.(result);
      })
      .catch((err: unknown) => {
        t.failures++;
        t.retryAt = Date.now() + Math.min(1000 * 2 ** t.failures, 300_000);
        if (UNREADABLE_CODES.has((err as NodeJS.ErrnoException).code ?? '')) this.setFileFinding(key, t, 'unreadable');
        this.deps.log.error(
          { dockId: t.dock.id, relPath: shown, err: errorMessage(err), failures: t.failures },
          'intake failed; the dock file is kept and will be retried',
        );
      })
      .finally(() => {
        this.inFlight.delete(key);
        this.running.delete(job);
        this.fillSlots(Date.now());
      });
    this.running.add(job);
  }
}
