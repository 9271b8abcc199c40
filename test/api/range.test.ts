// Byte-exact Range downloads against the archived object itself: first byte, last byte, suffix,
// open-ended, middle, whole; on the local backend always and on S3 when the real server is there.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveBackend } from '../../src/archive/archive.js';
import type { EvidenceRecord } from '../../src/catalog/evidence-repo.js';
import { makeS3Archive, s3Endpoint, warnIfSkipped } from '../archive/s3-env.js';
import { COMPLETE_SIDECAR, makeHarness, uniqueClip, type Harness } from './harness.js';

async function archived(archive: ArchiveBackend, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of (await archive.read(key)) as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

function rangeSuite(label: string, archiveFactory: (() => ArchiveBackend) | undefined) {
  let h: Harness;
  let item: EvidenceRecord;
  let bytes: Buffer;
  let headers: Record<string, string>;

  beforeAll(async () => {
    h = await makeHarness(archiveFactory ? { archive: archiveFactory } : {});
    item = await h.preserve('范围测试 clip.mp4', uniqueClip(`range-${label}`), {
      sidecar: COMPLETE_SIDECAR,
      states: ['archived'],
    });
    const key = h.repo.archiveObjects.ofItem(item.id).find((o) => o.kind === 'original')!.key;
    bytes = await archived(h.archive, key);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(item.sha256);
    headers = { authorization: `Bearer ${h.token('auditor')}`, 'x-access-reason': encodeURIComponent('复核 range') };
  }, 180_000);
  afterAll(async () => h?.close());

  const get = (range?: string, extra: Record<string, string> = {}) =>
    h.app.inject({
      url: `/api/v1/evidence/${item.id}/original`,
      headers: { ...headers, ...(range ? { range } : {}), ...extra },
    });

  it('whole object: 200, exact bytes, validators and a UTF-8 file name', async () => {
    const res = await get();
    expect(res.statusCode).toBe(200);
    expect(res.rawPayload.equals(bytes)).toBe(true);
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers.etag).toBe(`"${item.sha256}"`);
    expect(res.headers['content-type']).toBe('video/mp4');
    expect(res.headers['content-length']).toBe(String(bytes.length));
    expect(res.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent('范围测试 clip.mp4')}`);
  });

  it.each([
    ['first byte', 'bytes=0-0', () => [0, 0]],
    ['last byte', (n: number) => `bytes=${n - 1}-${n - 1}`, (n: number) => [n - 1, n - 1]],
    ['suffix', 'bytes=-1000', (n: number) => [n - 1000, n - 1]],
    ['open-ended', (n: number) => `bytes=${n - 4096}-`, (n: number) => [n - 4096, n - 1]],
    ['middle', 'bytes=1000000-1065535', () => [1_000_000, 1_065_535]],
    ['past the end is clamped', 'bytes=100-99999999999', (n: number) => [100, n - 1]],
  ] as const)('%s', async (_name, spec, want) => {
    const n = bytes.length;
    const range = typeof spec === 'function' ? spec(n) : spec;
    const [start, end] = want(n) as [number, number];
    const res = await get(range);
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${start}-${end}/${n}`);
    expect(res.headers['content-length']).toBe(String(end - start + 1));
    expect(res.rawPayload.equals(bytes.subarray(start, end + 1))).toBe(true);
  });

  it('unsatisfiable → 416 with bytes */size; If-None-Match → 304; a stale If-Range → whole body', async () => {
    const res = await get(`bytes=${bytes.length}-`);
    expect(res.statusCode).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${bytes.length}`);
    expect((await get(undefined, { 'if-none-match': `"${item.sha256}"` })).statusCode).toBe(304);
    const stale = await get('bytes=0-9', { 'if-range': '"0000"' });
    expect(stale.statusCode).toBe(200);
    expect(stale.rawPayload.length).toBe(bytes.length);
    expect((await get('bytes=0-9', { 'if-range': `"${item.sha256}"` })).statusCode).toBe(206);
  });

  it('manifest, signature and derivative are served from the archive too', async () => {
    const m = await h.app.inject({ url: `/api/v1/evidence/${item.id}/manifest?revision=1`, headers });
    expect(m.statusCode).toBe(200);
    expect(m.headers['content-type']).toMatch(/^application\/json/);
    expect(m.json<{ evidenceId: string }>().evidenceId).toBe(item.id);
    const s = await h.app.inject({ url: `/api/v1/evidence/${item.id}/signature?revision=1`, headers });
    expect(s.statusCode).toBe(200);
    expect(s.headers['content-type']).toBe('application/pkcs7-signature');
    expect(h.seal.verify(m.rawPayload, s.rawPayload).ok).toBe(true);
    const d = await h.app.inject({
      url: `/api/v1/evidence/${item.id}/derivative`,
      headers: { ...headers, range: 'bytes=4-11' },
    });
    expect(d.statusCode).toBe(206);
    expect(d.rawPayload.subarray(0, 4).toString('latin1')).toBe('ftyp');
    expect((await h.app.inject({ url: `/api/v1/evidence/${item.id}/manifest?revision=99`, headers })).statusCode).toBe(
      404,
    );
  });
}

describe('Range on the local archive', () => rangeSuite('local', undefined));

warnIfSkipped('test/api/range.test.ts (S3 Range)');
// Keys are unique without a prefix: the evidence id comes from the clip's SHA-256, and every clip is unique.
describe.skipIf(!s3Endpoint)('Range on S3', () => rangeSuite('s3', () => makeS3Archive()));
