import { describe, expect, it } from 'vitest';
import { elementChanges, resolveElements } from '../../src/elements/resolve.js';
import { parseSidecar } from '../../src/elements/sidecar.js';
import { validateElements } from '../../src/elements/validate.js';

const PATTERN = '^[\\p{L}\\p{N}][\\p{L}\\p{N}_.()（）〔〕［］-]{0,63}$';
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
    });
    expect(parseSidecar(bytes({ place: '西街', collector: '李四' }), opts)).toEqual({
      ok: true,
      elements: { place: { text: '西街' }, collector: { name: '李四' } },
    });
  });

  it('rejects the whole sidecar, with reasons, when anything is wrong', () => {
    const cases: [unknown, RegExp][] = [
      ['{"caseNumber": "A-1",', /not valid JSON/],
      [[1, 2], /must be a JSON object/],
      [{ caseNumber: 'A-1', officer: 'x' }, /unknown key\(s\): officer/],
      [{ caseNumber: 'A-1', recordedAt: '2026-11-20 08:15' }, /recordedAt.*offset/],
      [{ caseNumber: 'A-1', recordedAt: '2026-02-30T08:15:00+08:00' }, /recordedAt/],
      [{ caseNumber: '../../etc/passwd' }, /case number pattern/],
      [{ caseNumber: 'A-1', purpose: '   ' }, /purpose: must not be empty/],
      [{ caseNumber: 'A-1', place: { text: 'x', lat: 91 } }, /place/],
      [{ collector: { name: 'x\u0007' } }, /collector\.name: must not contain control characters/],
      [{ collector: 42 }, /collector: must be a non-empty name/],
    ];
    for (const [input, problem] of cases) {
      const r = parseSidecar(bytes(input as string), opts);
      expect(r.ok, JSON.stringify(input)).toBe(false);
      if (!r.ok) expect(r.problems.join('; ')).toMatch(problem);
    }
  });

  it('refuses oversized and non-UTF-8 sidecars, tolerates a BOM', () => {
    expect(parseSidecar(Buffer.alloc(70_000, 0x20), opts)).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/limit/)],
    });
    expect(parseSidecar(Buffer.from([0x7b, 0xff, 0x7d]), opts)).toMatchObject({
      ok: false,
      problems: ['sidecar is not valid UTF-8'],
    });
    expect(parseSidecar(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes({ purpose: 'x' })]), opts)).toEqual({
      ok: true,
      elements: { purpose: 'x' },
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
