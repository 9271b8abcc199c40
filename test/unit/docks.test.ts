import { describe, expect, it } from 'vitest';
import { deviceIdFor, ignoredNameReason, isIgnoredName, splitRelPath } from '../../src/docks/names.js';
import { isSidecarName, sidecarNameFor } from '../../src/intake/sidecar-names.js';
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
    expect(sidecarNameFor(Buffer.from('A.MP4')).toString()).toBe('A.MP4.json');
    const gbk = Buffer.from([0xc4, 0xe3, 0xba, 0xc3, 0x2e, 0x6d, 0x70, 0x34]);
    expect(isSidecarName(sidecarNameFor(gbk))).toBe(true);
    expect(isSidecarName('A.MP4.JSON')).toBe(true);
    expect(isSidecarName('A.MP4.json')).toBe(true);
    expect(isSidecarName('A.MP4')).toBe(false);
  });

  it('never trusts a name as a path, but any other byte is a name', () => {
    expect(splitRelPath('DEV01/a.MP4')?.map(String)).toEqual(['DEV01', 'a.MP4']);
    for (const bad of ['../a', 'a/../../b', '/etc/passwd', 'a//b', 'a/./b', 'a\u0000b', ''])
      expect(splitRelPath(bad), bad).toBeNull();
    for (const odd of ['a\\b', 'a\nb', 'a\u202eb.mp4']) expect(splitRelPath(odd), odd).toHaveLength(1);
    expect(splitRelPath(Buffer.from([0x44, 0x2f, 0xc4, 0xe3]))?.[1]).toEqual(Buffer.from([0xc4, 0xe3]));
  });

  it('says why a name is left alone', () => {
    expect(ignoredNameReason('.DS_Store')).toBe('hidden');
    expect(ignoredNameReason('a.MP4.part')).toBe('temp');
    expect(ignoredNameReason(Buffer.from([0xc4, 0xe3, 0x2e, 0x74, 0x6d, 0x70]))).toBe('temp');
    expect(ignoredNameReason('录像.mp4')).toBeNull();
  });

  it('takes the device id from the first folder, when it is a plain id', () => {
    const b = (...parts: string[]) => parts.map((p) => Buffer.from(p));
    expect(deviceIdFor('device-folder', b('DSJ-031245', 'a.MP4'))).toBe('DSJ-031245');
    expect(deviceIdFor('device-folder', b('a.MP4'))).toBeNull();
    expect(deviceIdFor('flat', b('DEV', 'a.MP4'))).toBeNull();
    expect(deviceIdFor('device-folder', b('执法仪01', 'a.MP4'))).toBe('执法仪01');
    expect(deviceIdFor('device-folder', b('-bad', 'a.MP4'))).toBeNull();
    expect(deviceIdFor('device-folder', [Buffer.from([0xc4, 0xe3]), Buffer.from('a')])).toBeNull();
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
