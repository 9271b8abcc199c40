import { describe, expect, it } from 'vitest';
import { isSealdockError } from '../../src/errors.js';
import { laterOf, legalHoldFor, MIN_RETENTION_DAYS, retainUntil } from '../../src/archive/retention.js';

const t0 = new Date('2026-11-20T08:15:00+08:00');
const days = (n: number) => new Date(t0.getTime() + n * 86_400_000);

describe('retainUntil', () => {
  it('adds whole UTC days', () => {
    expect(retainUntil(t0, 365)).toEqual(days(365));
    expect(retainUntil(t0, 365).toISOString()).toBe('2027-11-20T00:15:00.000Z');
  });
  it('never goes below 183 days (6 months)', () => {
    expect(MIN_RETENTION_DAYS).toBe(183);
    for (const d of [0, 1, -5, 182, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(retainUntil(t0, d)).toEqual(days(183));
    }
    expect(retainUntil(t0, 183.2)).toEqual(days(184));
  });
  it('rejects an invalid start date', () => {
    expect(() => retainUntil(new Date('nope'), 200)).toThrowError(/not a valid date/);
    try {
      retainUntil(new Date(Number.NaN), 200);
    } catch (err) {
      expect(isSealdockError(err, 'BAD_INPUT')).toBe(true);
    }
  });
});

describe('legalHoldFor', () => {
  const rules = { purposes: ['阻碍执法', 'Major Incident', ''] };
  it('matches purposes by substring, NFC and Latin case-insensitive', () => {
    expect(legalHoldFor('证明当事人阻碍执法', rules)).toBe(true);
    expect(legalHoldFor('record of a MAJOR incident downtown', rules)).toBe(true);
    expect(legalHoldFor('证明当事人拒绝检查', rules)).toBe(false);
    // an empty rule must not match everything
    expect(legalHoldFor('anything', { purposes: [''] })).toBe(false);
    // NFD input still matches an NFC rule
    expect(legalHoldFor('caf\u0065\u0301 fight', { purposes: ['café'] })).toBe(true);
  });
  it('no rules or no purpose, no hold', () => {
    expect(legalHoldFor('阻碍执法', undefined)).toBe(false);
    expect(legalHoldFor(null, rules)).toBe(false);
  });
});

describe('laterOf', () => {
  it('never shortens', () => {
    expect(laterOf(days(10), days(5))).toEqual(days(10));
    expect(laterOf(days(5), days(10))).toEqual(days(10));
    expect(laterOf(undefined, days(3))).toEqual(days(3));
    expect(laterOf(days(3), undefined)).toEqual(days(3));
    expect(laterOf(undefined, undefined)).toBeUndefined();
  });
});
