// The manifest's signed bytes: RFC 8785 canonical, stable, UTF-8; the parser is strict.
import { describe, expect, it } from 'vitest';
import { isSealdockError } from '../../src/errors.js';
import { sha256Hex } from '../../src/seal/digest.js';
import { buildManifest, buildRevision, manifestBytes, parseManifest } from '../../src/seal/manifest.js';
import type { ManifestInput } from '../../src/seal/manifest.js';
import type { AuditRow } from '../../src/audit/chain.js';
import { revisionChanges } from '../../src/pipeline/revision-changes.js';

const H = (c: string) => c.repeat(64);

function input(): ManifestInput {
  return {
    evidenceId: 'ev-0001',
    revision: 1,
    previousRevisionSha256: null,
    createdAt: '2026-11-20T00:16:00.000Z',
    reason: 'intake',
    elements: {
      recordedAt: { start: '2026-11-20T08:15:00+08:00', durationSeconds: 60.0 },
      collector: { name: '张三', id: '031245' },
      place: { text: '东街12号', lat: 32.35, lon: 106.83 },
    },
    elementSources: { recordedAt: 'media', collector: 'sidecar', place: 'sidecar' },
    original: {
      fileName: '张三_20261120.MP4',
      size: 1048576,
      sha256: H('a'),
      deviceId: 'DSJ-01',
      dockId: 'dock-1',
      receivedAt: '2026-11-20T00:15:00.000Z',
      archiveKey: 'evidence/ev-0001/original/张三_20261120.MP4',
    },
    media: {
      container: 'mov,mp4,m4a,3gp,3g2,mj2',
      durationSeconds: 60.04,
      kind: 'video',
      streams: [{ index: 0, type: 'video', codec: 'h264', width: 1920, height: 1080, frameRate: 29.97 }],
      tags: { major_brand: 'isom' },
    },
    derivative: null,
    seal: { certificateSha256: H('c'), development: true },
    generator: { version: '0.1.0', nodeId: 'node-1' },
  };
}

// Written out by hand: keys sorted by UTF-16 code units, no whitespace, 60.0 → 60, UTF-8 kept raw.
const EXPECTED =
  '{"createdAt":"2026-11-20T00:16:00.000Z","derivative":null,' +
  '"elementSources":{"collector":"sidecar","place":"sidecar","recordedAt":"media"},' +
  '"elements":{"collector":{"id":"031245","name":"张三"},"place":{"lat":32.35,"lon":106.83,"text":"东街12号"},' +
  '"recordedAt":{"durationSeconds":60,"start":"2026-11-20T08:15:00+08:00"}},' +
  '"evidenceId":"ev-0001","generator":{"name":"sealdock","nodeId":"node-1","version":"0.1.0"},' +
  '"media":{"container":"mov,mp4,m4a,3gp,3g2,mj2","durationSeconds":60.04,"kind":"video",' +
  '"streams":[{"codec":"h264","frameRate":29.97,"height":1080,"index":0,"type":"video","width":1920}],' +
  '"tags":{"major_brand":"isom"}},"missingElements":["caseNumber","purpose"],' +
  '"original":{"archiveKey":"evidence/ev-0001/original/张三_20261120.MP4","deviceId":"DSJ-01","dockId":"dock-1",' +
  `"fileName":"张三_20261120.MP4","receivedAt":"2026-11-20T00:15:00.000Z","sha256":"${H('a')}","size":1048576},` +
  '"previousRevisionSha256":null,"reason":"intake","revision":1,"schema":"sealdock.manifest/1",' +
  `"seal":{"certificateSha256":"${H('c')}","development":true}}`;

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('manifest', () => {
  it('has exact, stable canonical bytes (key order, UTF-8, numbers)', () => {
    const bytes = manifestBytes(buildManifest(input()));
    expect(bytes.toString('utf8')).toBe(EXPECTED);
    expect(bytes.includes(Buffer.from('张三', 'utf8'))).toBe(true); // raw UTF-8, no \u escapes
    // Same value built with keys in another order → same bytes.
    const shuffled = Object.fromEntries(Object.entries(input()).reverse()) as unknown as ManifestInput;
    expect(manifestBytes(buildManifest(shuffled)).equals(bytes)).toBe(true);
  });

  it('serialises numbers per ECMAScript (RFC 8785)', () => {
    const m = input();
    m.elements.place = { text: 'x', lat: 1e-7, lon: 100 };
    m.elements.recordedAt = { start: 's', durationSeconds: 0.1 + 0.2 };
    const text = manifestBytes(buildManifest(m)).toString('utf8');
    expect(text).toContain('"lat":1e-7,"lon":100');
    expect(text).toContain('"durationSeconds":0.30000000000000004');
  });

  it('round-trips through parseManifest', () => {
    const m = buildManifest(input());
    const bytes = manifestBytes(m);
    const parsed = parseManifest(bytes);
    expect(manifestBytes(parsed).equals(bytes)).toBe(true);
    expect(parsed.missingElements).toEqual(['caseNumber', 'purpose']);
  });

  it('rejects unknown keys, at the top and nested', () => {
    const top = JSON.parse(EXPECTED) as Record<string, unknown>;
    top.extra = 1;
    const canonicalTop = Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(top).sort())));
    expect(
      isSealdockError(
        thrown(() => parseManifest(canonicalTop)),
        'VERIFY_FAILED',
      ),
    ).toBe(true);
    const nested = EXPECTED.replace('"development":true', '"development":true,"z":0');
    expect((thrown(() => parseManifest(Buffer.from(nested))) as Error).message).toMatch(/seal/);
  });

  it('rejects bytes that are valid but not canonical', () => {
    const m = JSON.parse(EXPECTED) as unknown;
    const variants = [
      JSON.stringify(m, null, 2), // whitespace
      EXPECTED.replace(
        '{"createdAt":"2026-11-20T00:16:00.000Z","derivative":null,',
        '{"derivative":null,"createdAt":"2026-11-20T00:16:00.000Z",',
      ), // order
      EXPECTED.replace('"name":"张三"', '"name":"\\u5f20\\u4e09"'), // escaped Unicode
      EXPECTED.replace('"size":1048576', '"size":1048576.0'), // number form
      `\ufeff${EXPECTED}`, // BOM
      `${EXPECTED}\n`, // trailing newline
    ];
    for (const v of variants) {
      const err = thrown(() => parseManifest(Buffer.from(v, 'utf8')));
      expect(isSealdockError(err, 'VERIFY_FAILED'), v.slice(0, 40)).toBe(true);
    }
    const invalidUtf8 = Buffer.concat([Buffer.from(EXPECTED.slice(0, 20)), Buffer.from([0xff])]);
    expect(
      isSealdockError(
        thrown(() => parseManifest(invalidUtf8)),
        'VERIFY_FAILED',
      ),
    ).toBe(true);
  });

  it('rejects invalid values when building', () => {
    const bad = input();
    bad.original.sha256 = 'ABC';
    bad.createdAt = '2026-11-20T08:16:00+08:00'; // not UTC
    const err = thrown(() => buildManifest(bad)) as Error;
    expect(isSealdockError(err, 'BAD_INPUT')).toBe(true);
    expect(err.message).toContain('original.sha256');
    expect(err.message).toContain('createdAt');
    const nan = input();
    nan.elements.place = { text: 'x', lat: Number.NaN };
    expect(
      isSealdockError(
        thrown(() => buildManifest(nan)),
        'BAD_INPUT',
      ),
    ).toBe(true);
  });

  it('chains revisions by the previous revision bytes', () => {
    const first = buildManifest(input());
    const firstBytes = manifestBytes(first);
    const second = buildRevision(first, firstBytes, {
      createdAt: '2026-11-21T00:00:00.000Z',
      reason: 'annotation',
      elements: { ...first.elements, caseNumber: 'A-2026-0042', purpose: '证明当事人拒绝检查' },
      elementSources: { ...first.elementSources, caseNumber: 'annotation', purpose: 'annotation' },
    });
    expect(second.revision).toBe(2);
    expect(second.previousRevisionSha256).toBe(sha256Hex(firstBytes));
    expect(second.missingElements).toEqual([]);
    expect(parseManifest(manifestBytes(second)).revision).toBe(2);
    // revision 2 without a predecessor hash is not a manifest
    const orphan = { ...input(), revision: 2, reason: 'amendment' as const };
    expect(
      isSealdockError(
        thrown(() => buildManifest(orphan)),
        'BAD_INPUT',
      ),
    ).toBe(true);
  });
});

describe('revision changes', () => {
  const row = (seq: number, at: string, element: string, actor: string, reason?: string): AuditRow => ({
    seq,
    at,
    actor,
    action: 'element-changed',
    evidenceId: 'ev1',
    details: { element, ...(reason ? { reason } : {}) },
    prevHash: '0'.repeat(64),
    hash: '1'.repeat(64),
  });

  it('lists each changed element with old and new value, and who/when/why from its last audited change since the previous revision', () => {
    const changes = revisionChanges(
      { caseNumber: 'A-1', purpose: '旧' },
      { caseNumber: 'A-1', purpose: '新', place: { text: '东街12号' } },
      { purpose: 'annotation', place: 'dock' },
      [
        row(1, '2026-11-20T00:00:00.000Z', 'purpose', 'cli:old', 'before the previous revision'),
        row(2, '2026-11-21T01:00:00.000Z', 'purpose', 'cli:alice', '第一次'),
        row(3, '2026-11-21T02:00:00.000Z', 'purpose', 'api:bob', '更正'),
      ],
      '2026-11-21T00:00:00.000Z',
    );
    expect(changes).toEqual([
      {
        element: 'place',
        old: null,
        new: { text: '东街12号' },
        source: 'dock',
        changedBy: null,
        changedAt: null,
        reason: null,
      },
      {
        element: 'purpose',
        old: '旧',
        new: '新',
        source: 'annotation',
        changedBy: 'api:bob',
        changedAt: '2026-11-21T02:00:00.000Z',
        reason: '更正',
      },
    ]);
  });

  it('is refused on revision 1', () => {
    expect(() => buildManifest({ ...input(), changes: [] })).toThrow(/revision 1 changes nothing/);
  });
});
