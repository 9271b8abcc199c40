// Every action the audit log records. `audit list --action` and GET /api/v1/audit?action= accept
// only these, so a misspelt filter is an error instead of an empty answer. A new kind of audit
// row is added here first (AuditEntry.action is typed by this list).
import { STATES } from '../pipeline/states.js';

/** The alarms (audit/alarms.ts): what SPEC.md says is never silent about the archive. */
export const ALARM_ACTIONS = ['integrity-alarm', 'tamper-detected', 'lock-self-test-failed'] as const;

export const AUDIT_ACTIONS = [
  // an evidence item entering a state (pipeline transitions, annotations)
  ...STATES,
  ...ALARM_ACTIONS,
  'redocked',
  'pushed',
  'sidecar-rejected',
  'sidecar-values-rejected',
  'element-changed',
  'derivation-deferred',
  'derivation-requested',
  'dock-file-released',
  'dock-file-not-taken',
  'kept',
  'verified',
  'exported',
  'reindexed',
  'adopted',
  'lock-self-test',
  'retention-extended',
  'legal-hold-set',
  'legal-hold-released',
  'access',
  'access-denied',
  'device-added',
  'device-bound',
  'token-created',
  'token-revoked',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export function isAuditAction(value: string): value is AuditAction {
  return (AUDIT_ACTIONS as readonly string[]).includes(value);
}
