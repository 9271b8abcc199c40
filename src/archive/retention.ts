// Retention and legal-hold rules, pure: the archive backends only apply what these functions decide.
import { SealdockError } from '../errors.js';

/** Footage is kept at least 6 months; 183 days covers every 6-month span of the calendar. */
export const MIN_RETENTION_DAYS = 183;

const DAY_MS = 86_400_000;

export interface LegalHoldRules {
  /**
   * A purpose (证明对象) gets a legal hold when it CONTAINS one of these strings (substring match
   * after Unicode NFC normalisation, case-insensitive for Latin letters). Substring, because
   * purposes are free text ("证明当事人阻碍执法" must match a rule "阻碍执法"). Empty strings are ignored.
   */
  purposes: readonly string[];
  // There are no "categories": an item carries no category anyone sets, so a rule on one could
  // never fire. What the rules single out (obstruction, major incidents) is written in the purpose.
}

/**
 * Retain-until for an object: `from` (recordedAt, or receivedAt when the recording time is unknown)
 * plus `days`, never fewer than MIN_RETENTION_DAYS. Whole days of 24 h in UTC, so the result does
 * not depend on the server's time zone.
 */
export function retainUntil(from: Date, days: number): Date {
  if (!(from instanceof Date) || Number.isNaN(from.getTime())) {
    throw new SealdockError('BAD_INPUT', `retention start is not a valid date: ${String(from)}`);
  }
  const d = Number.isFinite(days) ? Math.max(Math.ceil(days), MIN_RETENTION_DAYS) : MIN_RETENTION_DAYS;
  return new Date(from.getTime() + d * DAY_MS);
}

function norm(s: string): string {
  return s.normalize('NFC').trim().toLowerCase();
}

/** Whether an item gets a legal hold (kept permanently until released by an admin). */
export function legalHoldFor(purpose: string | undefined | null, rules: LegalHoldRules | undefined | null): boolean {
  if (!rules || !purpose) return false;
  const p = norm(purpose);
  return rules.purposes.some((r) => norm(r) !== '' && p.includes(norm(r)));
}

/** The later of two dates: retention only ever moves forward. An undefined side loses. */
export function laterOf(a: Date | undefined, b: Date | undefined): Date | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.getTime() > a.getTime() ? b : a;
}
