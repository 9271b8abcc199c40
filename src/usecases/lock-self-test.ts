// Runs the archive's Object Lock self-test (S3Archive.selfTestLock) at start and then daily, and
// makes the result impossible to miss: a failure is an alarm (error log, sealdock_alarms_total,
// audit row `lock-self-test-failed`), the gauge sealdock_archive_lock_enforced drops to 0, /readyz
// fails and `status` shows it; the backend itself refuses every put meanwhile. A pass is an audit
// row too (`lock-self-test`): when immutability was last seen to hold is part of the record.
import type { Logger } from 'pino';
import type { ArchiveBackend, LockSelfTest } from '../archive/archive.js';
import { raiseAlarm } from '../audit/alarms.js';
import type { EvidenceRepo } from '../catalog/evidence-repo.js';
import { errorMessage } from '../errors.js';
import { metrics } from '../metrics.js';

export const LOCK_SELF_TEST_EVERY_MS = 86_400_000;

export async function runLockSelfTest(
  deps: { archive: ArchiveBackend; repo: EvidenceRepo; log: Logger },
  actor: string,
): Promise<LockSelfTest | null> {
  if (!deps.archive.selfTestLock) return null;
  let t: LockSelfTest;
  try {
    t = await deps.archive.selfTestLock();
  } catch (err) {
    // Unreachable: not a verdict. The next put runs the test again before writing anything.
    deps.log.warn({ err: errorMessage(err) }, 'Object Lock self-test could not run; archiving waits until it passes');
    return null;
  }
  metrics.archiveLockEnforced.set(t.ok ? 1 : 0);
  if (t.ok) {
    deps.log.info(
      { canary: t.canary },
      'Object Lock self-test passed: the store refused to shorten or delete a locked canary',
    );
    try {
      deps.repo.audit.append({
        actor,
        action: 'lock-self-test',
        details: { ok: true, canary: t.canary, steps: t.steps },
      });
    } catch (err) {
      deps.log.error({ err: errorMessage(err) }, 'the lock self-test result could not be written to the audit log');
    }
  } else {
    raiseAlarm(deps, actor, 'lock-self-test-failed', null, {
      problem: `NOT ARCHIVING: ${t.problem}`,
      canary: t.canary,
      steps: t.steps,
    });
  }
  return t;
}

/** At start (not awaited: intake never waits on the archive) and every day after. */
export function startLockSelfTests(
  deps: { archive: ArchiveBackend; repo: EvidenceRepo; log: Logger },
  actor: string,
  everyMs = LOCK_SELF_TEST_EVERY_MS,
): { first: Promise<LockSelfTest | null>; stop(): void } {
  const first = runLockSelfTest(deps, actor);
  const timer = setInterval(() => void runLockSelfTest(deps, actor), everyMs);
  timer.unref();
  return { first, stop: () => clearInterval(timer) };
}
