import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { elementChanges, resolveElements, unconfirmedElements } from '../../src/elements/resolve.js';
import { parseSidecar } from '../../src/elements/sidecar.js';
import { validateElements } from '../../src/elements/validate.js';
import { safeFileName } from '../../src/util/safe-file-name.js';

// The shipped default, read from config/default.yaml so the test checks what users get.
const PATTERN = (
  parse(fs.readFileSync(new URL('../../config/default.yaml', import.meta.url), 'utf8')) as {
    elements: { caseNumberPattern: string };
  }
).elements.caseNumberPattern;
const opts = { maxBytes: 65536, caseNumberPattern: PATTERN };
const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8');

describe('sidecar', () => {
  it('accepts the spec example, with plain-string and object forms', () => {
    const r = parseSidecar(
      bytes({
        caseNumber: 'A-2026-0042',
        recordedAt: '2026-11-20T08:15:00+08:00',
        place: { text: '东街12号', lat: 32.35, lon: 106.83 },
        collector: { name: '张三', id: '031245' },
        purpose: '证明当事人拒绝检查',
      }),
      opts,
    );
    expect(r).toEqual({
      ok: true,
      elements: {
        caseNumber: 'A-2026-0042',
        recordedAt: { start: '2026-11-20T08:15:00+08:00' },
        place: { text: '东街12号', lat: 32.35, lon: 106.83 },
        collector: { name: '张三', id: '031245' },
        purpose: '证明当事人拒绝检查',
      },
      rejected: [],
    });
    expect(parseSidecar(bytes({ place: '西街', collector: '李四' }), opts)).toEqual({
      ok: true,
      elements: { place: { text: '西街' }, collector: { name: '李四' } },
      rejected: [],
    });
  });

  it('rejects a sidecar whole only when it cannot be read as a JSON object', () => {
    const cases: [unknown, RegExp][] = [
      ['{"caseNumber": "A-1",', /not valid JSON/],
      [[1, 2], /must be a JSON object/],
      ['"just text"', /must be a JSON object/],
    ];
    for (const [input, problem] of cases) {
      const r = parseSidecar(bytes(input as string), opts);
      expect(r.ok, JSON.stringify(input)).toBe(false);
      if (!r.ok) expect(r.problems.join('; ')).toMatch(problem);
    }
  });

  it('applies the valid keys and names each refused one with its reason (Chinese and English)', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ caseNumber: 'A-1', officer: 'x' }, 'officer', /未知的键.*unknown key/],
      [{ caseNumber: 'A-1', recordedAt: '2026-11-20 08:15' }, 'recordedAt', /时区偏移.*offset/],
      [{ caseNumber: 'A-1', recordedAt: '2026-02-30T08:15:00+08:00' }, 'recordedAt', /时区偏移/],
      [{ caseNumber: 'A-1', purpose: '   ' }, 'purpose', /不能为空 \/ must not be empty/],
      [{ caseNumber: 'A-1', place: { text: 'x', lat: 91 } }, 'place', /place/],
      [{ caseNumber: 'A-1', collector: 42 }, 'collector', /must be a non-empty name/],
    ];
    for (const [input, key, reason] of cases) {
      const r = parseSidecar(bytes(input), opts);
      expect(r.ok, JSON.stringify(input)).toBe(true);
      if (!r.ok) continue;
      expect(r.elements.caseNumber).toBe('A-1');
      expect(r.rejected.map((x) => x.key)).toEqual([key]);
      expect(r.rejected[0]!.reason).toMatch(reason);
    }
    // the case: a bad case number no longer drops the time, place, collector and purpose
    const r = parseSidecar(
      bytes({
        caseNumber: '../../etc/passwd',
        recordedAt: '2026-11-20T08:15:00+08:00',
        place: '东街12号',
        collector: '张三',
        purpose: '证明',
      }),
      opts,
    );
    expect(r.ok && Object.keys(r.elements)).toEqual(['recordedAt', 'place', 'collector', 'purpose']);
    expect(r.ok && r.rejected).toEqual([{ key: 'caseNumber', reason: expect.stringMatching(/路径.*path parts/) }]);
  });

  it('refuses oversized and non-UTF-8 sidecars, tolerates a BOM', () => {
    expect(parseSidecar(Buffer.alloc(70_000, 0x20), opts)).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/limit/)],
    });
    expect(parseSidecar(Buffer.from([0x7b, 0xff, 0x7d]), opts)).toMatchObject({
      ok: false,
      problems: ['附加文件不是 UTF-8 编码 / sidecar is not valid UTF-8'],
    });
    expect(parseSidecar(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes({ purpose: 'x' })]), opts)).toEqual({
      ok: true,
      elements: { purpose: 'x' },
      rejected: [],
    });
  });

  it('normalises Unicode to NFC so the same name is always the same bytes', () => {
    const nfd = 'Cafe\u0301';
    const r = validateElements({ place: nfd }, PATTERN);
    expect(r.ok && r.elements.place?.text).toBe('Caf\u00e9');
  });
});

describe('precedence', () => {
  it('annotation > sidecar > binding / dock default > media, and records each source', () => {
    const r = resolveElements({
      annotation: { purpose: '更正后的证明对象' },
      sidecar: { caseNumber: 'A-1', purpose: '原证明对象' },
      binding: { collector: { name: '张三', id: '031245' } },
      dock: { place: { text: '东街派出所' }, purpose: '默认' },
      media: { recordedAt: { start: '2026-11-20T08:15:00+08:00' }, place: { text: 'GPS', lat: 32.35, lon: 106.83 } },
      mediaRecordedAtSource: 'filename',
    });
    expect(r.elements).toEqual({
      caseNumber: 'A-1',
      recordedAt: { start: '2026-11-20T08:15:00+08:00' },
      place: { text: '东街派出所', lat: 32.35, lon: 106.83 },
      collector: { name: '张三', id: '031245' },
      purpose: '更正后的证明对象',
    });
    expect(r.sources).toEqual({
      caseNumber: 'sidecar',
      recordedAt: 'filename',
      place: 'dock',
      collector: 'binding',
      purpose: 'annotation',
    });
    expect(r.missing).toEqual([]);
    // the dock's place is a default: present, but not confirmed
    expect(r.unconfirmed).toEqual(['place']);
  });

  it('a default or a guess is unconfirmed, never missing and never simply known', () => {
    const at = { start: '2026-11-20T08:15:00+08:00' };
    expect(unconfirmedElements({ recordedAt: at }, { recordedAt: 'mtime' })).toEqual(['recordedAt']);
    expect(unconfirmedElements({ recordedAt: at }, { recordedAt: 'filename' })).toEqual([]);
    expect(unconfirmedElements({ recordedAt: at }, { recordedAt: 'media' })).toEqual([]);
    expect(unconfirmedElements({ purpose: '巡逻' }, { purpose: 'dock' })).toEqual(['purpose']);
    // placeholders say they are not a place, from the dock or from a sidecar
    expect(unconfirmedElements({ place: { text: '未配置采集地点' } }, { place: 'sidecar' })).toEqual(['place']);
    expect(unconfirmedElements({ place: { text: 'unknown' } }, { place: 'sidecar' })).toEqual(['place']);
    expect(unconfirmedElements({ place: { text: '东街12号' } }, { place: 'sidecar' })).toEqual([]);
    // an explicit annotation is taken at its word
    expect(unconfirmedElements({ place: { text: '未知' } }, { place: 'annotation' })).toEqual([]);
    const r = resolveElements({
      dock: { place: { text: '未配置采集地点' } },
      media: { recordedAt: at },
      mediaRecordedAtSource: 'mtime',
    });
    expect(r.missing).toEqual(['caseNumber', 'collector', 'purpose']);
    expect(r.unconfirmed).toEqual(['recordedAt', 'place']);
  });

  it('lists exactly what is missing', () => {
    const r = resolveElements({ dock: { place: { text: 'x' } } });
    expect(r.missing).toEqual(['caseNumber', 'recordedAt', 'collector', 'purpose']);
  });

  it('reports changes field by field with old and new values', () => {
    expect(
      elementChanges({ caseNumber: 'A-1', purpose: 'p' }, { caseNumber: 'A-2', purpose: 'p', place: { text: 'x' } }),
    ).toEqual([
      { key: 'caseNumber', old: 'A-1', new: 'A-2' },
      { key: 'place', old: null, new: { text: 'x' } },
    ]);
  });
});

describe('case numbers', () => {
  const check = (caseNumber: string) => validateElements({ caseNumber }, PATTERN);

  it('accepts the forms agencies use', () => {
    for (const n of [
      '（2026）湘行罚字第17号',
      '湘公（交）决字〔2026〕第00123号',
      'A/2026/17',
      'A-2026-0042',
      '(2026)京0105刑初123号',
      '[2026]沪·浦东-7',
      '【2026】粤公（治）字第9号',
      '2026 湘行 17',
      '京公交决字［2026］第8号',
    ]) {
      const r = check(n);
      expect(r, n).toEqual({ ok: true, elements: { caseNumber: n } });
    }
  });

  it('refuses hostile ones, saying why in Chinese and English', () => {
    const cases: [string, RegExp][] = [
      ['../../etc/passwd', /路径成分.*path parts/],
      ['A/../B', /path parts/],
      ['/A/2026', /开头或结尾.*begin or end with \//],
      ['A/2026/', /begin or end with \//],
      ['A//2026', /contain \/\//],
      ['A\\2026', /反斜杠.*backslash/],
      ['A\u00002026', /控制字符.*U\+0000/],
      ['A\u202e2026', /invisible character \(U\+202E\)/],
      ['A\n2026', /U\+000A/],
      [' A-2026', /空格.*begins or ends with a space/],
      ['A-2026 ', /begins or ends with a space/],
      ['A-2026\u3000', /begins or ends with a space/],
      ['', /为空.*empty/],
      ['A'.repeat(65), /longer than 64/],
      ['A<script>', /does not match elements.caseNumberPattern/],
      ['-2026', /does not match/],
    ];
    for (const [n, why] of cases) {
      const r = check(n);
      expect(r.ok, JSON.stringify(n)).toBe(false);
      if (!r.ok) expect(r.problems.join('; '), JSON.stringify(n)).toMatch(why);
    }
  });

  it('the structural rules hold whatever pattern a deployment configures', () => {
    const anything = '^.*$';
    for (const n of ['../x', 'a\\b', ' x', 'x\u0000', '/x'])
      expect(validateElements({ caseNumber: n }, anything).ok, n).toBe(false);
  });
});

describe('safeFileName', () => {
  it('keeps case numbers readable and makes them one safe path segment', () => {
    expect(safeFileName('（2026）湘行罚字第17号')).toBe('（2026）湘行罚字第17号');
    expect(safeFileName('A/2026/17')).toBe('A_2026_17');
    expect(safeFileName('..')).toBe('_');
    expect(safeFileName('a\\b:c*?"<>|')).toBe('a_b_c______');
    expect(safeFileName('x\u202ey')).toBe('x_y');
    expect(safeFileName('CON')).toBe('_CON');
    expect(Buffer.byteLength(safeFileName('案'.repeat(200)))).toBeLessThanOrEqual(200);
  });
});
