// Dates and times typed on the command line: one reading for every flag (src/cli/when.ts).
import { describe, expect, it } from 'vitest';
import { parseWhen, type WhenOptions } from '../../src/cli/when.js';

const now = new Date('2026-11-20T04:00:00Z');
const at = (value: string, o: Partial<WhenOptions> = {}) =>
  parseWhen(value, { flag: '--x', timeZone: 'Asia/Shanghai', bound: 'start', span: 'future', now, ...o }).toISOString();

describe('parseWhen', () => {
  it('reads a bare date as that day in the configured zone: its start, or the start of the next day for an end', () => {
    expect(at('2031-12-31', { bound: 'start' })).toBe('2031-12-30T16:00:00.000Z');
    expect(at('2031-12-31', { bound: 'end' })).toBe('2031-12-31T16:00:00.000Z');
    expect(at('2026-02-28', { bound: 'end', timeZone: 'UTC' })).toBe('2026-03-01T00:00:00.000Z');
    expect(at('2026-12-31', { bound: 'end', timeZone: 'UTC' })).toBe('2027-01-01T00:00:00.000Z');
    // A day with a DST change is still that day (America/New_York, 2026-03-08 has 23 hours).
    expect(at('2026-03-08', { bound: 'start', timeZone: 'America/New_York' })).toBe('2026-03-08T05:00:00.000Z');
    expect(at('2026-03-08', { bound: 'end', timeZone: 'America/New_York' })).toBe('2026-03-09T04:00:00.000Z');
  });

  it('reads a local time in the zone, and an instant with an offset as it is', () => {
    expect(at('2026-11-20T08:15')).toBe('2026-11-20T00:15:00.000Z');
    expect(at('2026-11-20 08:15:30')).toBe('2026-11-20T00:15:30.000Z');
    expect(at('2026-11-20T08:15:00+08:00')).toBe('2026-11-20T00:15:00.000Z');
    expect(at('2026-11-20T00:15:00Z', { timeZone: 'America/New_York' })).toBe('2026-11-20T00:15:00.000Z');
  });

  it('reads spans from now: ahead for ends and expiries, back for --since', () => {
    expect(at('30d')).toBe('2026-12-20T04:00:00.000Z');
    expect(at('12h', { span: 'past' })).toBe('2026-11-19T16:00:00.000Z');
    expect(at('90m')).toBe('2026-11-20T05:30:00.000Z');
  });

  it('refuses what is not a date, a day that does not exist, and spans where they make no sense — naming the flag', () => {
    expect(() => at('soon')).toThrow(/--x: "soon" is not a date or time: give an instant .* a span/);
    expect(() => at('2026-02-30')).toThrow(/no such day/);
    expect(() => at('2026-11-20T24:00')).toThrow(/no such time/);
    expect(() => at('20261120')).toThrow(/not a date or time/);
    expect(() => at('30d', { span: null })).toThrow(/a span makes no sense here/);
    expect(() => at('-30d')).toThrow(/not a date or time/);
  });
});
