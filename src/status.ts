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
  daemon: Record<string, unknown>;
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

export function readStatus(config: Config, repo: EvidenceRepo): DaemonStatus {
  const counts = repo.countsByState();
  const states = Object.fromEntries(STATES.map((s) => [s, counts[s] ?? 0]));
  let daemon: Record<string, unknown> | null = null;
  try {
    daemon = JSON.parse(fs.readFileSync(statusFilePath(config.dataDir), 'utf8')) as Record<string, unknown>;
    if (Date.now() - Date.parse(String(daemon.updatedAt)) > 15_000) daemon = { ...daemon, stale: true };
  } catch {
    daemon = null;
  }
  // Progress is only ever set while a derivative is being made.
  const inProgress = repo
    .list({ state: 'deriving', limit: 1000 })
    .filter((e) => e.progress !== null)
    .map(summarize);
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
    daemon: daemon ?? { running: false },
    archive: config.archive.backend,
    archiveHealth: daemon?.archiveHealth ?? null,
    states,
    inProgress,
    failed,
    alarms,
  };
}
