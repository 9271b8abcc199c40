// The daemon's status as `sealdock status` prints it and GET /api/v1/status returns it: the
// heartbeat file the daemon rewrites every 2 s (pid, seal, docks waiting), backlog per state,
// derivations in progress, failed items with their stage and error, and the archive alarms.
import fs from 'node:fs';
import { ALARM_ACTIONS } from './audit/alarms.js';
import type { EvidenceRepo } from './catalog/evidence-repo.js';
import { summarize, type EvidenceSummary } from './catalog/views.js';
import type { Config } from './config/schema.js';
import { statusFilePath } from './daemon.js';
import { STATES } from './pipeline/states.js';

export interface DaemonStatus {
  daemon: Record<string, unknown> & { running: boolean; stale?: boolean };
  archive: string;
  /** The running daemon's archive check (null when no daemon runs): ready, or degraded and why. */
  archiveHealth: unknown;
  states: Record<string, number>;
  inProgress: EvidenceSummary[];
  failed: EvidenceSummary[];
  /** integrity alarms, tampering attempts, lock self-test failures: from the audit log */
  alarms: {
    total: number;
    latest: { seq: number; at: string; action: string; evidenceId: string | null; key?: string; detail: string }[];
  };
}

/** A heartbeat older than this means the daemon is not responding (it rewrites it every 2 s). */
const STALE_MS = 15_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by another user
  }
}

/**
 * Whether the daemon runs, from its heartbeat file: `running: false` with the reason when there
 * is none, or when its process is gone (kill -9, a crash) and the file was left behind.
 */
function daemonOf(config: Config): Record<string, unknown> & { running: boolean; stale?: boolean } {
  let beat: Record<string, unknown>;
  try {
    beat = JSON.parse(fs.readFileSync(statusFilePath(config.dataDir), 'utf8')) as Record<string, unknown>;
  } catch {
    return { running: false, reason: `no heartbeat in ${config.dataDir}: the daemon is not running with this dataDir` };
  }
  const pid = Number(beat.pid);
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid))
    return {
      ...beat,
      running: false,
      reason: `process ${String(beat.pid)} is gone; it stopped without cleaning up (crash or kill -9) at about ${String(beat.updatedAt)}`,
    };
  const age = Date.now() - Date.parse(String(beat.updatedAt));
  if (!(age <= STALE_MS))
    return {
      ...beat,
      running: true,
      stale: true,
      reason: `no heartbeat for ${Math.round(age / 1000)} s: not responding`,
    };
  return { ...beat, running: true };
}

export function readStatus(config: Config, repo: EvidenceRepo): DaemonStatus {
  const counts = repo.countsByState();
  const states = Object.fromEntries(STATES.map((s) => [s, counts[s] ?? 0]));
  const daemon = daemonOf(config);
  // Progress is only ever set while a derivative is being made, and means nothing once the daemon
  // that set it is gone: those items resume at the next start.
  const inProgress =
    daemon.running && !daemon.stale
      ? repo
          .list({ state: 'deriving', limit: 1000 })
          .filter((e) => e.progress !== null)
          .map(summarize)
      : [];
  const failed = repo.list({ state: 'failed', limit: 100 }).map(summarize);
  const raised = repo.audit.latestOf(ALARM_ACTIONS, 5);
  const alarms = {
    total: raised.total,
    latest: raised.rows.map((r) => ({
      seq: r.seq,
      at: r.at,
      action: r.action,
      evidenceId: r.evidenceId,
      ...(typeof r.details.key === 'string' ? { key: r.details.key } : {}),
      detail: String(r.details.problem ?? r.details.why ?? r.details.note ?? ''),
    })),
  };
  return {
    daemon,
    archive: config.archive.backend,
    // What a daemon that is gone last saw of the archive is not the archive's health now.
    archiveHealth: daemon.running && !daemon.stale ? (daemon.archiveHealth ?? null) : null,
    states,
    inProgress,
    failed,
    alarms,
  };
}
