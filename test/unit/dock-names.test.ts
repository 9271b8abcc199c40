import { describe, expect, it } from 'vitest';
import { legacyArchiveFileName, originalObjectName } from '../../src/archive/keys.js';
import { judgeIsoBmff } from '../../src/docks/iso-bmff.js';
import { displayName, exactNameBytes, exactNameOf } from '../../src/util/file-names.js';

const GBK = Buffer.from([0xd6, 0xb4, 0xb7, 0xa8, 0xbc, 0xc7, 0xc2, 0xbc, 0x2e, 0x6d, 0x70, 0x34]); // 执法记录.mp4 in GBK

describe('exact names', () => {
  it('records UTF-8 names as text and other bytes as base64, both round-trip exactly', () => {
    for (const bytes of [Buffer.from('录像 01.MP4'), Buffer.from('cafe\u0301.mp4'), GBK, Buffer.from([0xff, 0x41])]) {
      expect(exactNameBytes(exactNameOf(bytes))).toEqual(bytes);
    }
    expect(exactNameOf(Buffer.from('录像.MP4'))).toEqual({ encoding: 'utf-8', value: '录像.MP4' });
    expect(exactNameOf(GBK).encoding).toBe('base64');
  });

  it('shows names with every control, bidi and format character and every non-UTF-8 byte escaped', () => {
    expect(displayName('录像.MP4')).toBe('录像.MP4');
    expect(displayName('evil\u202Egnp.mp4')).toBe('evil\\u202Egnp.mp4');
    expect(displayName('a\u200Fb\u2066c')).toBe('a\\u200Fb\\u2066c');
    expect(displayName('bell\u0007\nx\u0085')).toBe('bell\\u0007\\u000Ax\\u0085');
    expect(displayName('a\\u202Eb')).toBe('a\\\\u202Eb'); // a literal backslash cannot forge an escape
    expect(displayName(GBK)).toBe('\\xD6\\xB4\\xB7\\xA8\\xBC\\xC7\\xC2\\xBC.mp4');
    expect(displayName(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\\xED\\xA0\\x80'); // an encoded surrogate is not UTF-8
    expect(displayName('cafe\u0301')).toBe('café');
  });
});

describe('archive key names of originals', () => {
  it('are bounded, plain and distinct whatever the name', () => {
    const long = Buffer.from(`${'长'.repeat(80)}.mp4`); // 244 bytes
    const k255 = Buffer.from(`${'a'.repeat(251)}.mp4`);
    for (const name of [long, k255, GBK, Buffer.from('a\u202Eb\u0001c.MP4'), Buffer.from('..'), Buffer.from('.mp4')]) {
      const key = originalObjectName(name);
      expect(Buffer.byteLength(key), key).toBeLessThanOrEqual(116);
      expect(key).toMatch(/^[\p{L}\p{N}_.()-]+$/u);
      expect(key).not.toMatch(/^\./);
    }
    expect(originalObjectName(Buffer.from('DSJ_0001.MP4'))).toMatch(/^DSJ_0001-[0-9a-f]{8}\.MP4$/);
    expect(originalObjectName(Buffer.from('a b.mp4'))).not.toBe(originalObjectName(Buffer.from('a_b.mp4')));
    expect(legacyArchiveFileName('DSJ_0001.MP4')).toBe('DSJ_0001.MP4');
  });
});

function box(type: string, payload: number, size = payload + 8): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(size, 0);
  b.write(type, 4, 'latin1');
  return Buffer.concat([b, Buffer.alloc(Math.max(0, payload))]);
}

async function judge(bytes: Buffer) {
  return judgeIsoBmff(bytes.length, async (o, l) => bytes.subarray(o, o + l));
}

describe('ISO BMFF structure', () => {
  it('is complete with a moov and boxes that end exactly at the end of the file', async () => {
    expect(await judge(Buffer.concat([box('ftyp', 16), box('mdat', 100), box('moov', 40)]))).toEqual({
      kind: 'complete',
    });
    expect(await judge(Buffer.concat([box('ftyp', 16), box('moov', 40), box('mdat', 100, 0)]))).toEqual({
      kind: 'complete',
    });
    const big = Buffer.alloc(16);
    big.writeUInt32BE(1, 0);
    big.write('mdat', 4, 'latin1');
    big.writeBigUInt64BE(16n + 50n, 8);
    expect(await judge(Buffer.concat([box('ftyp', 16), big, Buffer.alloc(50), box('moov', 8)]))).toEqual({
      kind: 'complete',
    });
  });

  it('is incomplete when a box runs past the end or there is no moov', async () => {
    const full = Buffer.concat([box('ftyp', 16), box('mdat', 1000), box('moov', 40)]);
    expect((await judge(full.subarray(0, 500))).kind).toBe('incomplete');
    expect(await judge(Buffer.concat([box('ftyp', 16), box('mdat', 100)]))).toEqual({
      kind: 'incomplete',
      why: 'no moov box',
    });
    expect((await judge(full.subarray(0, full.length - 3))).kind).toBe('incomplete');
  });

  it('leaves files that are not ISO BMFF alone', async () => {
    expect(await judge(Buffer.from('RIFF....AVI LIST'))).toEqual({ kind: 'not-bmff' });
    expect(await judge(Buffer.from('abc'))).toEqual({ kind: 'not-bmff' });
  });
});
