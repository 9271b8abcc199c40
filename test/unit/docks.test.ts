import { describe, expect, it } from 'vitest';
import { deviceIdFor, isIgnoredName, isSidecarName, sidecarNameFor, splitRelPath } from '../../src/docks/names.js';
import { isStable, observe } from '../../src/docks/stability.js';

describe('dock names', () => {
  it('ignores hidden, temporary and in-progress names', () => {
    for (const n of [
      '.DS_Store',
      '.recording.MP4',
      '~$tmp.MP4',
      'a.MP4.part',
      'a.tmp',
      'x.crdownload',
      'y.MP4~',
      'Thumbs.db',
      'a.partial',
    ]) {
      expect(isIgnoredName(n), n).toBe(true);
    }
    for (const n of ['DSJ_20261120081500_0001.MP4', '录像.mov', 'a.json']) expect(isIgnoredName(n), n).toBe(false);
  });

  it('pairs footage with its sidecar', () => {
    expect(sidecarNameFor('A.MP4')).toBe('A.MP4.json');
    expect(isSidecarName('A.MP4.json')).toBe(true);
    expect(isSidecarName('A.MP4')).toBe(false);
  });

  it('never trusts a name as a path', () => {
    expect(splitRelPath('DEV01/a.MP4')).toEqual(['DEV01', 'a.MP4']);
    for (const bad of ['../a', 'a/../../b', '/etc/passwd', 'a//b', 'a/./b', 'a\\b', 'a\u0000b', '', 'a\nb'])
      expect(splitRelPath(bad), bad).toBeNull();
  });

  it('takes the device id from the first folder, when it is a plain id', () => {
    expect(deviceIdFor('device-folder', ['DSJ-031245', 'a.MP4'])).toBe('DSJ-031245');
    expect(deviceIdFor('device-folder', ['a.MP4'])).toBeNull();
    expect(deviceIdFor('flat', ['DEV', 'a.MP4'])).toBeNull();
    expect(deviceIdFor('device-folder', ['执法仪01', 'a.MP4'])).toBe('执法仪01');
    expect(deviceIdFor('device-folder', ['-bad', 'a.MP4'])).toBeNull();
  });
});

describe('stability', () => {
  it('is stable only after size and mtime were unchanged for the whole quiet period', () => {
    let o = observe(undefined, 100, 1, 0);
    expect(isStable(o, 999, 1000)).toBe(false);
    o = observe(o, 200, 2, 900); // still growing: the clock restarts
    expect(isStable(o, 1500, 1000)).toBe(false);
    o = observe(o, 200, 2, 1800);
    expect(o.since).toBe(900);
    expect(isStable(o, 1900, 1000)).toBe(true);
    o = observe(o, 200, 3, 2000); // touched: mtime changed
    expect(isStable(o, 2500, 1000)).toBe(false);
  });

  it('judges quiet on our clock, whatever the dock clock says', () => {
    const future = observe(undefined, 10, Date.now() + 86_400_000, 0);
    expect(isStable(future, 5000, 1000)).toBe(true);
  });
});
