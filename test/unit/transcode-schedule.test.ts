import { describe, expect, it } from 'vitest';
import { inWindow, localMinutes, nextWindowStart, transcodeWait } from '../../src/media/schedule.js';

const night = { start: '22:00', end: '06:00' };
const lunch = { start: '12:00', end: '13:30' };

describe('off-peak window', () => {
  it('reads the time of day in the configured zone, not the host zone', () => {
    // 14:30 UTC is 22:30 in Shanghai
    const t = new Date('2026-11-20T14:30:00Z');
    expect(localMinutes(t, 'Asia/Shanghai')).toBe(22 * 60 + 30);
    expect(localMinutes(t, 'UTC')).toBe(14 * 60 + 30);
    expect(inWindow(t, night, 'Asia/Shanghai')).toBe(true);
    expect(inWindow(t, night, 'UTC')).toBe(false);
  });

  it('handles windows across midnight and within a day, end exclusive', () => {
    const at = (hhmm: string) => new Date(`2026-11-20T${hhmm}:00+08:00`);
    expect(inWindow(at('05:59'), night, 'Asia/Shanghai')).toBe(true);
    expect(inWindow(at('06:00'), night, 'Asia/Shanghai')).toBe(false);
    expect(inWindow(at('21:59'), night, 'Asia/Shanghai')).toBe(false);
    expect(inWindow(at('22:00'), night, 'Asia/Shanghai')).toBe(true);
    expect(inWindow(at('12:00'), lunch, 'Asia/Shanghai')).toBe(true);
    expect(inWindow(at('13:30'), lunch, 'Asia/Shanghai')).toBe(false);
  });

  it('finds the next opening, today or tomorrow', () => {
    expect(nextWindowStart(new Date('2026-11-20T10:17:42+08:00'), night, 'Asia/Shanghai').toISOString()).toBe(
      '2026-11-20T14:00:00.000Z',
    );
    expect(nextWindowStart(new Date('2026-11-20T23:00:00+08:00'), night, 'Asia/Shanghai').toISOString()).toBe(
      '2026-11-21T14:00:00.000Z',
    );
  });

  it('lands inside the window across a DST change (America/New_York, spring forward at 02:00)', () => {
    const w = { start: '02:30', end: '04:00' }; // 02:30 does not exist on 2026-03-08
    const next = nextWindowStart(new Date('2026-03-07T12:00:00-05:00'), w, 'America/New_York');
    expect(inWindow(next, w, 'America/New_York')).toBe(true);
    expect(next.getTime()).toBeGreaterThan(new Date('2026-03-08T00:00:00-05:00').getTime());
  });
});

describe('transcodeWait', () => {
  const base = { window: night, timeZone: 'Asia/Shanghai', requested: false };
  const day = new Date('2026-11-20T10:00:00+08:00');
  it('eager never waits; on-demand waits until asked; off-peak until the window', () => {
    expect(transcodeWait('eager', { ...base, now: day })).toBeNull();
    expect(transcodeWait('on-demand', { ...base, now: day })).toEqual({ for: 'on-demand' });
    expect(transcodeWait('off-peak', { ...base, now: day })).toEqual({
      for: 'off-peak',
      until: '2026-11-20T14:00:00.000Z',
    });
    expect(transcodeWait('off-peak', { ...base, now: new Date('2026-11-20T23:00:00+08:00') })).toBeNull();
  });

  it('a request to play it makes it now, whatever the mode', () => {
    expect(transcodeWait('on-demand', { ...base, now: day, requested: true })).toBeNull();
    expect(transcodeWait('off-peak', { ...base, now: day, requested: true })).toBeNull();
  });
});
