// The pure parts of the API: Range, cursors, roles, the reason header, names, dispositions, tokens.
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/api/cursor.js';
import { contentDisposition } from '../../src/api/disposition.js';
import { normaliseCaseNumber, routablePushTarget, uploadNameFromTarget } from '../../src/api/names.js';
import { etagMatches, ifRangeAllows, parseRange } from '../../src/api/range.js';
import { decodeReason } from '../../src/api/reason.js';
import { ADMIN, AUDITOR, DOCK, dockAllows, roleAllows } from '../../src/api/roles.js';
import { parseToken } from '../../src/catalog/tokens-repo.js';

describe('parseRange (size 1000)', () => {
  const cases: [string | undefined, ReturnType<typeof parseRange>][] = [
    [undefined, { kind: 'full' }],
    ['bytes=0-0', { kind: 'partial', start: 0, end: 0 }],
    ['bytes=999-999', { kind: 'partial', start: 999, end: 999 }],
    ['bytes=10-19', { kind: 'partial', start: 10, end: 19 }],
    ['bytes=990-', { kind: 'partial', start: 990, end: 999 }],
    ['bytes=-10', { kind: 'partial', start: 990, end: 999 }],
    ['bytes=-5000', { kind: 'partial', start: 0, end: 999 }],
    ['bytes=0-99999999999999999999', { kind: 'partial', start: 0, end: 999 }],
    ['BYTES=1-2', { kind: 'partial', start: 1, end: 2 }],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=99999999999999999999-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=abc', { kind: 'full', ignored: 'malformed' }],
    ['bytes=5-1', { kind: 'full', ignored: 'malformed' }],
    ['bytes=-', { kind: 'full', ignored: 'malformed' }],
    ['bytes=1-2-3', { kind: 'full', ignored: 'malformed' }],
    ['bytes 0-1', { kind: 'full', ignored: 'malformed' }],
    ['items=0-1', { kind: 'full', ignored: 'unit' }],
    ['bytes=0-1,5-6', { kind: 'full', ignored: 'multiple' }],
    [`bytes=${Array.from({ length: 10_000 }, (_, i) => `${i}-${i}`).join(',')}`, { kind: 'full', ignored: 'multiple' }],
    [`bytes=${'0'.repeat(300)}-1`, { kind: 'full', ignored: 'malformed' }],
  ];
  it.each(cases.map(([h, e]) => [h === undefined ? '(none)' : h.slice(0, 40), h, e] as const))(
    '%s',
    (_label, header, expected) => expect(parseRange(header, 1000)).toEqual(expected),
  );
  it('an empty object has no satisfiable range', () => {
    expect(parseRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(parseRange('bytes=-1', 0)).toEqual({ kind: 'unsatisfiable' });
  });
  it('validators', () => {
    expect(etagMatches('"abc"', '"abc"')).toBe(true);
    expect(etagMatches('W/"abc", "x"', '"abc"')).toBe(true);
    expect(etagMatches('*', '"abc"')).toBe(true);
    expect(etagMatches('"abd"', '"abc"')).toBe(false);
    expect(ifRangeAllows(undefined, '"a"')).toBe(true);
    expect(ifRangeAllows('"a"', '"a"')).toBe(true);
    expect(ifRangeAllows('Wed, 21 Oct 2015 07:28:00 GMT', '"a"')).toBe(false);
  });
});

describe('cursor', () => {
  it('round-trips and refuses anything else', () => {
    const c = { receivedAt: '2026-11-20T00:00:00.000Z', id: 'ev-abc' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    for (const bad of [
      '',
      '!!!',
      Buffer.from('{"a":1}').toString('base64url'),
      Buffer.from('[1,2]').toString('base64url'),
      'x'.repeat(500),
    ]) {
      expect(() => decodeCursor(bad)).toThrow(/cursor/);
    }
  });
});

describe('roles', () => {
  it('admin ⊇ auditor; dock only pushes', () => {
    expect(roleAllows('admin', AUDITOR)).toBe(true);
    expect(roleAllows('auditor', AUDITOR)).toBe(true);
    expect(roleAllows('dock', AUDITOR)).toBe(false);
    expect(roleAllows('auditor', ADMIN)).toBe(false);
    expect(roleAllows('admin', DOCK)).toBe(false);
    expect(roleAllows('dock', DOCK)).toBe(true);
    expect(roleAllows('dock', 'public')).toBe(true);
    expect(dockAllows(null, 'dock1')).toBe(true);
    expect(dockAllows('dock1', 'dock1')).toBe(true);
    expect(dockAllows('dock2', 'dock1')).toBe(false);
  });
});

describe('X-Access-Reason', () => {
  it('accepts ASCII, percent-encoded UTF-8 and raw UTF-8 (arriving as latin1)', () => {
    expect(decodeReason('case review')).toBe('case review');
    expect(decodeReason(encodeURIComponent('复核案件 A-2026-0042'))).toBe('复核案件 A-2026-0042');
    expect(decodeReason(Buffer.from('复核', 'utf8').toString('latin1'))).toBe('复核');
    expect(decodeReason('100% sure')).toBe('100% sure');
  });
  it('refuses missing, empty, control characters and > 500 characters', () => {
    for (const bad of [undefined, '', '   ', 'a%0Ab', 'x'.repeat(501), encodeURIComponent('查'.repeat(501))]) {
      expect(() => decodeReason(bad)).toThrow(expect.objectContaining({ code: 'REASON_REQUIRED' }));
    }
    expect(decodeReason('查'.repeat(500))).toHaveLength(500);
  });
});

describe('names', () => {
  it('upload names: the exact percent-encoded bytes of one segment, ≤ 255 bytes, no / or NUL', () => {
    const t = (seg: string) => uploadNameFromTarget(`/api/v1/docks/dock1/files/${seg}?x=1`);
    expect(t('DEV01_20261120.MP4').toString()).toBe('DEV01_20261120.MP4');
    expect(t(encodeURIComponent('cafe\u0301.mp4')).toString()).toBe('cafe\u0301.mp4'); // exact: not normalised
    expect(t('%C4%E3%BA%C3.mp4')).toEqual(Buffer.from([0xc4, 0xe3, 0xba, 0xc3, 0x2e, 0x6d, 0x70, 0x34]));
    expect(t(encodeURIComponent('a\u202eb.mp4')).toString()).toBe('a\u202eb.mp4');
    expect(t(encodeURIComponent('a\nb')).toString()).toBe('a\nb');
    expect(t(encodeURIComponent('.hidden')).toString()).toBe('.hidden');
    expect(t(encodeURIComponent('中'.repeat(85)))).toHaveLength(255);
    for (const bad of [
      '',
      '%2E%2E',
      '..',
      'a%2Fb',
      'a%00b',
      'x'.repeat(256),
      encodeURIComponent('中'.repeat(86)),
      'a%ZZ',
    ]) {
      expect(() => t(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'BAD_INPUT' }));
    }
    expect(routablePushTarget('/api/v1/docks/d/files/%C4%E3.mp4?q=1')).toBe('/api/v1/docks/d/files/_?q=1');
    expect(routablePushTarget('/api/v1/docks/d/files/ok.mp4')).toBe('/api/v1/docks/d/files/ok.mp4');
  });
  it('case numbers are NFC-normalised and bounded', () => {
    expect(normaliseCaseNumber('A\u0301')).toBe('Á');
    expect(() => normaliseCaseNumber('a\u0000')).toThrow();
    expect(() => normaliseCaseNumber('x'.repeat(257))).toThrow();
  });
  it('Content-Disposition carries the exact UTF-8 name (RFC 5987) and an ASCII fallback', () => {
    expect(contentDisposition('东街 "执法".mp4')).toBe(
      `attachment; filename="__ ____.mp4"; filename*=UTF-8''%E4%B8%9C%E8%A1%97%20%22%E6%89%A7%E6%B3%95%22.mp4`,
    );
    expect(decodeURIComponent(contentDisposition('东街 "执法".mp4').split("UTF-8''")[1]!)).toBe('东街 "执法".mp4');
    expect(contentDisposition('a.mp4')).toBe(`attachment; filename="a.mp4"; filename*=UTF-8''a.mp4`);
  });
});

describe('tokens', () => {
  it('parses only our shape', () => {
    const secret = Buffer.alloc(32, 7).toString('base64url');
    expect(parseToken(`sdk_0123456789abcdef_${secret}`)).toEqual({ id: '0123456789abcdef', secret });
    expect(parseToken(`sdk_0123456789abcdef_${secret}x`)).toBeNull();
    expect(parseToken('sdk_xyz_abc')).toBeNull();
    expect(parseToken('')).toBeNull();
  });
});
