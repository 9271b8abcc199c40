// The one behavioural contract of ArchiveBackend, run against every backend (local, s3).
// A backend passes when the pipeline cannot tell which one it talks to.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveBackend, PutOptions } from '../../src/archive/archive.js';
import { isSealdockError } from '../../src/errors.js';
import type { ErrorCode } from '../../src/errors.js';

export interface ConformanceBackend {
  backend: ArchiveBackend;
  cleanup(): Promise<void>;
}

const MiB = 1024 * 1024;

export function sha256Hex(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

export async function expectCode(p: Promise<unknown> | (() => unknown), code: ErrorCode): Promise<void> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected SealdockError ${code}`).toBeDefined();
  if (!isSealdockError(caught, code)) throw caught;
}

/** A unique evidence id per run, so runs (and backends sharing one S3 server) never collide. */
export function uniqueId(tag: string): string {
  return `${tag}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Byte order of UTF-8, which is S3's listing order (and differs from JS string order above U+FFFF). */
export function utf8Sort(keys: string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

export function runArchiveConformance(name: string, makeBackend: () => Promise<ConformanceBackend>): void {
  describe(`archive conformance: ${name}`, () => {
    let backend: ArchiveBackend;
    let cleanup: () => Promise<void>;
    let tmp: string;
    const id = uniqueId('CONF');
    const base = `evidence/${id}/`;
    // Short retention: test servers keep COMPLIANCE-locked data, and nothing here needs 6 months.
    const retainUntil = new Date(Date.now() + 2 * 3600_000);
    const opts = (bytes: Buffer, extra: Partial<PutOptions> = {}): PutOptions => ({
      sha256: sha256Hex(bytes),
      size: bytes.length,
      contentType: 'application/octet-stream',
      retainUntil,
      legalHold: false,
      ...extra,
    });
    const text = Buffer.from('sealdock conformance: 0123456789abcdefghijklmnopqrstuvwxyz\n', 'utf8');

    beforeAll(async () => {
      ({ backend, cleanup } = await makeBackend());
      tmp = await mkdtemp(path.join(os.tmpdir(), 'sealdock-conf-'));
      await backend.checkReady();
    });

    afterAll(async () => {
      await backend?.close();
      await cleanup?.();
      if (tmp) await rm(tmp, { recursive: true, force: true });
    });

    it('puts from bytes and reports what it stored', async () => {
      const key = `${base}original/bytes.bin`;
      const stored = await backend.put(key, { bytes: text }, opts(text));
      expect(stored).toMatchObject({ key, size: text.length, sha256: sha256Hex(text), alreadyPresent: false });
      const info = await backend.head(key);
      expect(info).toMatchObject({ key, size: text.length, legalHold: false });
      expect(info?.retainUntil).toBeInstanceOf(Date);
      expect(Math.abs((info?.retainUntil?.getTime() ?? 0) - retainUntil.getTime())).toBeLessThan(1000);
      if (backend.kind === 's3') {
        expect(stored.versionId).toBeTruthy();
        expect(info?.versionId).toBe(stored.versionId);
        expect(info?.lockMode).toBe('COMPLIANCE');
      }
      expect(await readAll(await backend.read(key))).toEqual(text);
    });

    it('puts from a path', async () => {
      const bytes = randomBytes(100_000);
      const file = path.join(tmp, 'from-path.bin');
      await writeFile(file, bytes);
      const key = `${base}original/from-path.bin`;
      const stored = await backend.put(key, { path: file }, opts(bytes));
      expect(stored.alreadyPresent).toBe(false);
      expect(await readAll(await backend.read(key))).toEqual(bytes);
    });

    it('re-put of identical content is idempotent (alreadyPresent)', async () => {
      const key = `${base}manifest/0001.json`;
      const bytes = Buffer.from('{"rev":1}');
      const first = await backend.put(key, { bytes }, opts(bytes));
      const again = await backend.put(key, { bytes }, opts(bytes));
      expect(first.alreadyPresent).toBe(false);
      expect(again.alreadyPresent).toBe(true);
      expect(again.sha256).toBe(first.sha256);
      expect(again.versionId).toBe(first.versionId);
    });

    it('refuses different content under an existing key and leaves the first intact', async () => {
      const key = `${base}manifest/0002.json`;
      const a = Buffer.from('{"rev":2,"case":"A-1"}');
      const b = Buffer.from('{"rev":2,"case":"A-2"}'); // same size, different bytes
      await backend.put(key, { bytes: a }, opts(a));
      await expectCode(backend.put(key, { bytes: b }, opts(b)), 'ARCHIVE_CONFLICT');
      const c = Buffer.from('{"rev":2,"case":"A-22"}'); // different size
      await expectCode(backend.put(key, { bytes: c }, opts(c)), 'ARCHIVE_CONFLICT');
      expect(await readAll(await backend.read(key))).toEqual(a);
      expect((await backend.verify(key, { sha256: sha256Hex(a), size: a.length })).ok).toBe(true);
    });

    it('refuses content that does not match the claimed SHA-256 and stores nothing', async () => {
      const key = `${base}original/lying.bin`;
      const bytes = Buffer.from('actual content');
      await expectCode(
        backend.put(key, { bytes }, opts(bytes, { sha256: sha256Hex(Buffer.from('x')) })),
        'VERIFY_FAILED',
      );
      await expectCode(backend.put(key, { bytes }, opts(bytes, { size: bytes.length + 1 })), 'VERIFY_FAILED');
      expect(await backend.head(key)).toBeNull();
    });

    it('verify passes on the stored content and detects a wrong expectation', async () => {
      const key = `${base}original/verify.bin`;
      const bytes = randomBytes(4096);
      await backend.put(key, { bytes }, opts(bytes));
      const ok = await backend.verify(key, { sha256: sha256Hex(bytes), size: bytes.length });
      expect(ok).toMatchObject({ ok: true, key, actualSha256: sha256Hex(bytes) });
      const wrongHash = await backend.verify(key, { sha256: sha256Hex(randomBytes(8)), size: bytes.length });
      expect(wrongHash.ok).toBe(false);
      expect(wrongHash.problem).toBeTruthy();
      const wrongSize = await backend.verify(key, { sha256: sha256Hex(bytes), size: bytes.length + 1 });
      expect(wrongSize.ok).toBe(false);
      const missing = await backend.verify(`${base}original/nothing-here`, { sha256: sha256Hex(bytes), size: 1 });
      expect(missing.ok).toBe(false);
    });

    it('head of a missing key is null; read of a missing key is NOT_FOUND', async () => {
      expect(await backend.head(`${base}original/absent.bin`)).toBeNull();
      await expectCode(backend.read(`${base}original/absent.bin`), 'NOT_FOUND');
    });

    it('reads whole objects and inclusive byte ranges', async () => {
      const key = `${base}derivative/0002.mp4`;
      const bytes = randomBytes(10_000);
      await backend.put(key, { bytes }, opts(bytes, { contentType: 'video/mp4' }));
      const range = async (start: number, end: number) => readAll(await backend.read(key, { start, end }));
      expect(await range(0, 0)).toEqual(bytes.subarray(0, 1));
      expect(await range(9999, 9999)).toEqual(bytes.subarray(9999));
      expect(await range(1234, 5678)).toEqual(bytes.subarray(1234, 5679));
      expect(await range(0, 9999)).toEqual(bytes);
      expect(await readAll(await backend.read(key))).toEqual(bytes);
    });

    it('lists every key under a prefix, in order, and nothing outside it', async () => {
      const pre = `evidence/${id}-L/`;
      const keys = [
        `${pre}manifest/0002.json`,
        `${pre}original/b.mp4`,
        `${pre}manifest/0001.json`,
        `${pre}original/A.mp4`,
      ];
      for (const k of keys) await backend.put(k, { bytes: Buffer.from(k) }, opts(Buffer.from(k)));
      const sibling = `evidence/${id}-L2/original/x.mp4`; // shares the string prefix without the slash
      await backend.put(sibling, { bytes: Buffer.from('s') }, opts(Buffer.from('s')));
      const listed: string[] = [];
      for await (const k of backend.list(pre)) listed.push(k);
      expect(listed).toEqual(utf8Sort(keys));
      const manifests: string[] = [];
      for await (const k of backend.list(`${pre}manifest/`)) manifests.push(k);
      expect(manifests).toEqual([`${pre}manifest/0001.json`, `${pre}manifest/0002.json`]);
    });

    it('rejects unsafe keys with BAD_INPUT', async () => {
      const bytes = Buffer.from('x');
      for (const key of ['../x', '/abs', 'a//b', 'a/\u0000b', 'evidence/./x', 'evidence/a/..', '', 'a\\b']) {
        await expectCode(backend.put(key, { bytes }, opts(bytes)), 'BAD_INPUT');
        await expectCode(backend.read(key), 'BAD_INPUT');
        await expectCode(backend.head(key), 'BAD_INPUT');
      }
    });

    it('keeps UTF-8 names intact', async () => {
      const key = `evidence/${id}-U/original/东街_录像.MP4`;
      const bytes = Buffer.from('视频内容 — UTF-8', 'utf8');
      await backend.put(key, { bytes }, opts(bytes, { contentType: 'video/mp4' }));
      const listed: string[] = [];
      for await (const k of backend.list(`evidence/${id}-U/`)) listed.push(k);
      expect(listed).toEqual([key]);
      expect((await backend.head(key))?.key).toBe(key);
      expect(await readAll(await backend.read(key))).toEqual(bytes);
    });

    it('sets and releases a legal hold', async () => {
      const key = `${base}original/held.bin`;
      const bytes = Buffer.from('hold me');
      await backend.put(key, { bytes }, opts(bytes, { legalHold: true }));
      expect((await backend.head(key))?.legalHold).toBe(true);
      await backend.setLegalHold(key, false);
      expect((await backend.head(key))?.legalHold).toBe(false);
      await backend.setLegalHold(key, true);
      expect((await backend.head(key))?.legalHold).toBe(true);
      await backend.setLegalHold(key, false);
      expect((await backend.head(key))?.legalHold).toBe(false);
    });

    it('extendRetention moves retain-until later and never shortens it', async () => {
      const key = `${base}original/retention.bin`;
      const bytes = Buffer.from('retain me');
      await backend.put(key, { bytes }, opts(bytes));
      const later = new Date(retainUntil.getTime() + 3600_000);
      await backend.extendRetention(key, later);
      expect((await backend.head(key))?.retainUntil?.getTime()).toBe(later.getTime());
      await backend.extendRetention(key, new Date(retainUntil.getTime() - 60_000));
      expect((await backend.head(key))?.retainUntil?.getTime()).toBe(later.getTime());
      await backend.extendRetention(key, later); // equal: no-op
      expect((await backend.head(key))?.retainUntil?.getTime()).toBe(later.getTime());
    });

    it('archives and verifies a 40 MiB object (multipart on S3)', async () => {
      const bytes = randomBytes(40 * MiB);
      const file = path.join(tmp, 'large.bin');
      await writeFile(file, bytes);
      const key = `${base}original/large.mp4`;
      const sha = sha256Hex(bytes);
      const stored = await backend.put(key, { path: file }, opts(bytes, { contentType: 'video/mp4' }));
      expect(stored).toMatchObject({ size: bytes.length, sha256: sha, alreadyPresent: false });
      if (backend.kind === 's3') expect(stored.backendChecksum).toMatch(/-3$/); // 16+16+8 MiB parts
      const v = await backend.verify(key, { sha256: sha, size: bytes.length });
      expect(v).toMatchObject({ ok: true, actualSha256: sha });
      const bad = await backend.verify(key, { sha256: sha256Hex(Buffer.from('no')), size: bytes.length });
      expect(bad.ok).toBe(false);
      expect((await backend.put(key, { path: file }, opts(bytes))).alreadyPresent).toBe(true);
      const across = { start: 16 * MiB - 3, end: 16 * MiB + 3 };
      expect(await readAll(await backend.read(key, across))).toEqual(bytes.subarray(across.start, across.end + 1));
      const tail = await readAll(await backend.read(key, { start: bytes.length - 1, end: bytes.length - 1 }));
      expect(tail).toEqual(bytes.subarray(bytes.length - 1));
    });
  });
}
