// The hash chain of the custody and access log, pure: every row's hash covers the previous row's
// hash, so an edited, inserted or deleted row breaks the chain from there on. The catalog stores
// the rows (catalog/audit-repo.ts); sealed segments carry them into the archive.
import type { AuditAction } from './actions.js';
import { canonicalJson } from '../util/canonical-json.js';
import { sha256Hex } from '../util/hash.js';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  actor: string;
  action: AuditAction;
  evidenceId?: string | null | undefined;
  details?: Record<string, unknown> | undefined;
}

export interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  evidenceId: string | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  rows: number;
  lastHash: string;
  problems: { seq: number; problem: string }[];
}

export function auditRowHash(prevHash: string, row: Omit<AuditRow, 'prevHash' | 'hash'>): string {
  return sha256Hex(
    prevHash +
      canonicalJson({
        seq: row.seq,
        at: row.at,
        actor: row.actor,
        action: row.action,
        evidenceId: row.evidenceId,
        details: row.details,
      }),
  );
}
