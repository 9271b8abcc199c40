import { describe, it, expect } from 'vitest';
import { formatIso6709, parseIso6709 } from '../../src/media/iso6709.js';

describe('ISO 6709', () => {
  it('parses decimal degrees as written by cameras', () => {
    expect(parseIso6709('+32.3500+106.8300/')).toEqual({ lat: 32.35, lon: 106.83 });
    expect(parseIso6709('-33.8688+151.2093+012.500/')).toEqual({ lat: -33.8688, lon: 151.2093, alt: 12.5 });
    expect(parseIso6709('+40.7128-074.0060CRSWGS_84/')).toEqual({ lat: 40.7128, lon: -74.006 });
    expect(parseIso6709('+32.35+106.83')).toEqual({ lat: 32.35, lon: 106.83 });
  });

  it('parses degrees-minutes and degrees-minutes-seconds', () => {
    const dm = parseIso6709('+3221.00+10649.80/');
    expect(dm?.lat).toBeCloseTo(32.35, 6);
    expect(dm?.lon).toBeCloseTo(106.83, 6);
    const dms = parseIso6709('+322100-1064948/');
    expect(dms?.lat).toBeCloseTo(32.35, 6);
    expect(dms?.lon).toBeCloseTo(-106.83, 6);
  });

  it('rejects junk and out-of-range points', () => {
    expect(parseIso6709('')).toBeUndefined();
    expect(parseIso6709('32.35,106.83')).toBeUndefined();
    expect(parseIso6709('+95.0000+106.8300/')).toBeUndefined();
    expect(parseIso6709('+32.0000+186.0000/')).toBeUndefined();
    expect(parseIso6709('+3275.00+10649.80/')).toBeUndefined(); // 75 minutes
    expect(parseIso6709('+3.5+10.5/')).toBeUndefined(); // degrees need 2/3 digits
  });

  it('formats with padded degrees and round-trips', () => {
    expect(formatIso6709({ lat: 32.35, lon: 106.83 })).toBe('+32.3500+106.8300/');
    expect(formatIso6709({ lat: 6.5, lon: -5.1 })).toBe('+06.5000-005.1000/');
    expect(formatIso6709({ lat: -0.00001, lon: 0 })).toBe('+00.0000+000.0000/');
    expect(formatIso6709({ lat: 1, lon: 2, alt: -3.25 })).toBe('+01.0000+002.0000-3.250/');
    const p = { lat: -33.8688, lon: 151.2093 };
    expect(parseIso6709(formatIso6709(p))).toEqual(p);
    expect(() => formatIso6709({ lat: 91, lon: 0 })).toThrow(RangeError);
  });
});
