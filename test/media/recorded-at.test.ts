import { describe, it, expect } from 'vitest';
import {
  DEFAULT_FILENAME_PATTERNS,
  formatWithOffset,
  localToInstant,
  matchFileName,
  resolveRecordedAt,
} from '../../src/media/recorded-at.js';
import { isSealdockError } from '../../src/errors.js';

const SH = 'Asia/Shanghai';

describe('resolveRecordedAt', () => {
  it('prefers the media creation time and renders it with the zone offset', () => {
    const r = resolveRecordedAt({
      creationTime: '2026-11-20T00:15:00.000000Z',
      durationSeconds: 4.0213,
      fileName: 'DSJ-031245_20261120090000_0001.MP4',
      mtime: new Date('2026-11-20T03:00:00Z'),
      timeZone: SH,
    });
    expect(r).toMatchObject({
      value: { start: '2026-11-20T08:15:00+08:00', durationSeconds: 4.021 },
      source: 'media',
      clockOffsetSeconds: null,
      timeZone: SH,
    });
    // every candidate is kept for the manifest
    expect(r?.raw.media).toBe('2026-11-20T00:15:00.000000Z');
    expect(r?.raw.filename).toEqual({
      pattern: 'device_datetime_seq',
      local: '2026-11-20T09:00:00',
      device: 'DSJ-031245',
    });
    expect(r?.raw.mtime).toBe('2026-11-20T11:00:00+08:00');
  });

  it('corrects device times by the clock offset (device ahead → earlier true time)', () => {
    const ahead = resolveRecordedAt({ creationTime: '2026-11-20T00:15:00Z', timeZone: SH, clockOffsetSeconds: 90 });
    expect(ahead?.value.start).toBe('2026-11-20T08:13:30+08:00');
    expect(ahead?.clockOffsetSeconds).toBe(90);
    const behind = resolveRecordedAt({ fileName: '20261120_081500_A.MP4', timeZone: SH, clockOffsetSeconds: -3600 });
    expect(behind).toMatchObject({ source: 'filename', value: { start: '2026-11-20T09:15:00+08:00' } });
  });

  it('reads file-name times as local time of the given zone, DST included', () => {
    const ny = 'America/New_York';
    expect(resolveRecordedAt({ fileName: '20261120_081500.mp4', timeZone: ny })?.value.start).toBe(
      '2026-11-20T08:15:00-05:00',
    );
    expect(resolveRecordedAt({ fileName: '20260701_081500.mp4', timeZone: ny })?.value.start).toBe(
      '2026-07-01T08:15:00-04:00',
    );
    // 02:30 does not exist on 2026-03-08 in New York: the later offset wins
    expect(resolveRecordedAt({ fileName: '20260308_023000.mp4', timeZone: ny })?.value.start).toBe(
      '2026-03-08T03:30:00-04:00',
    );
    // 01:30 happens twice on 2026-11-01: the first (EDT) is taken
    expect(formatWithOffset(localToInstant({ Y: 2026, M: 11, D: 1, h: 1, m: 30, s: 0 }, ny), ny)).toBe(
      '2026-11-01T01:30:00-04:00',
    );
    expect(resolveRecordedAt({ fileName: '2026-11-20_08-15-00.avi', timeZone: 'Asia/Kolkata' })?.value.start).toBe(
      '2026-11-20T08:15:00+05:30',
    );
    expect(resolveRecordedAt({ fileName: 'x_20261120081500_1.mp4', timeZone: 'UTC' })?.value.start).toBe(
      '2026-11-20T08:15:00+00:00',
    );
  });

  it('ships named patterns for common recorder names', () => {
    const names = DEFAULT_FILENAME_PATTERNS.map((p) => p.name);
    expect(names).toEqual([
      'device_datetime_seq',
      'date_time_any',
      'prefix_date_time',
      'dashed_date_time',
      'compact_14_digits',
    ]);
    const cases: Array<[string, string, string | undefined]> = [
      ['DSJ-031245_20261120081500_0001.MP4', 'device_datetime_seq', 'DSJ-031245'],
      ['20261120_081500_abc.mov', 'date_time_any', undefined],
      ['VID_20261120_081500.mp4', 'prefix_date_time', undefined],
      ['cam 2026-11-20 08.15.00.avi', 'dashed_date_time', undefined],
      ['A1B2_track_20261120081500.wav', 'compact_14_digits', undefined],
    ];
    for (const [name, pattern, device] of cases) {
      const m = matchFileName(name, DEFAULT_FILENAME_PATTERNS);
      expect(m?.pattern, name).toBe(pattern);
      expect(m?.local, name).toBe('2026-11-20T08:15:00');
      expect(m?.device, name).toBe(device);
    }
    expect(matchFileName('/dock/DSJ-1/20261120_081500_A.MP4', DEFAULT_FILENAME_PATTERNS)?.pattern).toBe(
      'date_time_any',
    );
    // impossible dates are not times
    expect(matchFileName('20261332_081500.mp4', DEFAULT_FILENAME_PATTERNS)).toBeUndefined();
    expect(matchFileName('20260230_081500.mp4', DEFAULT_FILENAME_PATTERNS)).toBeUndefined();
    expect(matchFileName('clip0001.mp4', DEFAULT_FILENAME_PATTERNS)).toBeUndefined();
  });

  it('accepts a custom regex with named groups', () => {
    const r = resolveRecordedAt({
      fileName: 'CAM07-20112026T081500.mp4',
      timeZone: SH,
      patterns: ['^CAM(?<device>\\d+)-(?<D>\\d{2})(?<M>\\d{2})(?<Y>\\d{4})T(?<h>\\d{2})(?<m>\\d{2})(?<s>\\d{2})'],
    });
    expect(r).toMatchObject({
      source: 'filename',
      value: { start: '2026-11-20T08:15:00+08:00' },
      raw: { filename: { pattern: 'custom_0', device: '07' } },
    });
    expect(() => resolveRecordedAt({ fileName: 'a', patterns: ['(?<Y>'] })).toThrow(/not a valid regex/);
  });

  it('falls back to mtime, which is not corrected by the device offset', () => {
    const r = resolveRecordedAt({
      fileName: 'clip0001.mp4',
      mtime: '2026-11-20T00:15:00Z',
      timeZone: SH,
      clockOffsetSeconds: 120,
    });
    expect(r).toMatchObject({
      source: 'mtime',
      value: { start: '2026-11-20T08:15:00+08:00' },
      clockOffsetSeconds: null,
    });
  });

  it('ignores reset-clock media times and says so', () => {
    const r = resolveRecordedAt({
      creationTime: '1970-01-01T00:00:00.000000Z',
      fileName: '20261120_081500.mp4',
      timeZone: SH,
    });
    expect(r?.source).toBe('filename');
    expect(r?.raw.rejected?.[0]).toMatch(/1970.*not a plausible time/);
  });

  it('honours explicit offsets and devices that write local time as creation_time', () => {
    const qt = resolveRecordedAt({ creationTime: '2026-11-20T08:15:00+0800', timeZone: 'UTC' });
    expect(qt?.value.start).toBe('2026-11-20T00:15:00+00:00');
    const local = resolveRecordedAt({ creationTime: '2026-11-20T08:15:00Z', timeZone: SH, creationTimeIsLocal: true });
    expect(local?.value.start).toBe('2026-11-20T08:15:00+08:00');
  });

  it('uses the host zone by default and always prints an offset', () => {
    const r = resolveRecordedAt({ creationTime: '2026-11-20T00:15:00Z' });
    expect(r?.timeZone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
    expect(r?.value.start).toMatch(/^2026-11-2\dT\d{2}:\d{2}:00[+-]\d{2}:\d{2}$/);
    expect(new Date(r?.value.start ?? '').toISOString()).toBe('2026-11-20T00:15:00.000Z');
  });

  it('returns undefined when nothing is known and rejects unknown zones', () => {
    expect(resolveRecordedAt({ fileName: 'clip.mp4' })).toBeUndefined();
    try {
      resolveRecordedAt({ fileName: 'clip.mp4', timeZone: 'Mars/Olympus' });
      expect.unreachable();
    } catch (e) {
      expect(isSealdockError(e, 'BAD_INPUT')).toBe(true);
    }
  });
});
