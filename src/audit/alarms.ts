// Alarms: the things SPEC.md says are never silent about the archive — bytes that are not the
// record (`integrity-alarm`), someone else's versions or delete markers on our keys
// (`tamper-detected`), a store that does not enforce its lock (`lock-self-test-failed`). Each is
// logged at error level, counted for /metrics, and recorded in the hash-chained audit log, which
// is what `status` reads them from.
import type { Logger } from 'pino';
import { PinnedReader, type AlarmSink, type IntegrityAlarm } from '../archive/pinned.js';
import type { ArchiveBackend } from '../archive/archive.js';
import { errorMessage } from '../errors.js';
import { metrics } from '../metrics.js';

import { ALARM_ACTIONS } from './actions.js';

export { ALARM_ACTIONS };
export type AlarmAction = (typeof ALARM_ACTIONS)[number];

// Every kind shows as 0 from the start, so an alert on any increase works from the first scrape.
for (const kind of ALARM_ACTIONS) metrics.alarms.inc({ kind }, 0);

interface AuditAppender {
  audit: {
    append(e: {
      actor: string;
      action: string;
      evidenceId?: string | null | undefined;
      details?: Record<string, unknown>;
    }): unknown;
  };
}

/** Logs, counts and audits one alarm. Never throws: an alarm that cannot be audited is still logged. */
export function raiseAlarm(
  deps: { repo: AuditAppender; log: Logger },
  actor: string,
  action: AlarmAction,
  evidenceId: string | null,
  details: Record<string, unknown>,
): void {
  metrics.alarms.inc({ kind: action });
  deps.log.error({ alarm: action, evidenceId, ...details }, `ALARM ${action}${evidenceId ? ` ${evidenceId}` : ''}`);
  try {
    deps.repo.audit.append({ actor, action, evidenceId, details });
  } catch (err) {
    deps.log.error({ alarm: action, err: errorMessage(err) }, 'the alarm could not be written to the audit log');
  }
}

export function integrityAlarmSink(deps: { repo: AuditAppender; log: Logger }, actor: string): AlarmSink {
  return (a: IntegrityAlarm) => {
    const { evidenceId, ...details } = a;
    raiseAlarm(deps, actor, 'integrity-alarm', evidenceId, details);
  };
}

const readers = new WeakMap<ArchiveBackend, PinnedReader>();

/** One pinned reader per archive backend (so its proofs are shared by every caller in the process). */
export function pinnedReaderFor(
  archive: ArchiveBackend,
  deps: { repo: AuditAppender; log: Logger },
  actor: string,
): PinnedReader {
  let reader = readers.get(archive);
  if (!reader) {
    reader = new PinnedReader(archive, integrityAlarmSink(deps, actor));
    readers.set(archive, reader);
  }
  return reader;
}

/** `verify` found versions or delete markers on the item's keys that we never wrote. */
export function reportTampering(
  deps: { repo: AuditAppender; log: Logger },
  actor: string,
  evidenceId: string,
  findings: readonly { key: string; kind: string; versionId?: string | undefined }[],
): void {
  if (findings.length === 0) return;
  raiseAlarm(deps, actor, 'tamper-detected', evidenceId, {
    findings,
    note: 'reads stay pinned to the versions we wrote; these were added by someone else',
  });
}
