// The local backend proves a freshly archived spool original with one hash pass (before it is
// linked into place) plus an identity check, and re-reads every byte on every later verify.
// The one-pass copy (copy + SHA-256 + chunked flush) is checked against node:crypto and sha256sum.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalArchive } from '../../src/archive/local.js';
import { copyHashFlush, FLUSH_EVERY } from '../../src/util/durable-copy.js';
import { expectCode } from './conformance.js';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sealdock-localverify-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const lock = { contentType: 'video/mp4', retainUntil: new Date(Date.now() + 86_400_000), legalHold: false };

function readOnlySource(dir: string, bytes: Buffer): string {
  const file = path.join(dir, 'spool-original');
  fs.writeFileSync(file, bytes);
  fs.chmodSync(file, 0o400);
  return file;
}

describe('local archive: verifying a spool original', () => {
  it('right after put: the same inode, once; every later verify re-reads every byte', async () => {
    const dir = tmp();
    const archive = new LocalArchive({ root: path.join(dir, 'archive') });
    await archive.checkReady();
    const bytes = randomBytes(3 * 1024 * 1024 + 7);
    const source = readOnlySource(dir, bytes);
    const key = 'evidence/ev-1/original/a.mp4';
    const stored = await archive.put(key, { path: source }, { ...lock, sha256: sha(bytes), size: bytes.length });
    expect(stored.alreadyPresent).toBe(false);
    // the archived object IS the spool file (one inode on this disk)
    expect(fs.statSync(path.join(dir, 'archive', key)).ino).toBe(fs.statSync(source).ino);
    const first = await archive.verify(key, { sha256: sha(bytes), size: bytes.length });
    expect(first).toMatchObject({ ok: true, method: 'same-inode', actualSha256: sha(bytes) });
    const second = await archive.verify(key, { sha256: sha(bytes), size: bytes.length });
    expect(second).toMatchObject({ ok: true, method: 'rehash', actualSha256: sha(bytes) });
    // a fresh process (CLI verify) knows nothing of the put: it re-reads
    const other = new LocalArchive({ root: path.join(dir, 'archive') });
    expect(await other.verify(key, { sha256: sha(bytes), size: bytes.length })).toMatchObject({ method: 'rehash' });
  });

  it('bytes changed between put and verify are caught by a full re-read', async () => {
    const dir = tmp();
    const archive = new LocalArchive({ root: path.join(dir, 'archive') });
    await archive.checkReady();
    const bytes = randomBytes(64 * 1024);
    const source = readOnlySource(dir, bytes);
    const key = 'evidence/ev-2/original/a.mp4';
    await archive.put(key, { path: source }, { ...lock, sha256: sha(bytes), size: bytes.length });
    const object = path.join(dir, 'archive', key);
    fs.chmodSync(object, 0o644);
    const fd = fs.openSync(object, 'r+');
    fs.writeSync(fd, Buffer.from('X'), 0, 1, 100);
    fs.closeSync(fd);
    fs.chmodSync(object, 0o444);
    const check = await archive.verify(key, { sha256: sha(bytes), size: bytes.length });
    expect(check).toMatchObject({ ok: false, method: 'rehash' });
  });

  it('a spool file that no longer matches its hash is refused before anything is placed', async () => {
    const dir = tmp();
    const archive = new LocalArchive({ root: path.join(dir, 'archive') });
    await archive.checkReady();
    const bytes = randomBytes(64 * 1024);
    const claimed = sha(bytes);
    bytes[0] = bytes[0]! ^ 1;
    const source = readOnlySource(dir, bytes);
    const key = 'evidence/ev-3/original/a.mp4';
    await expectCode(
      archive.put(key, { path: source }, { ...lock, sha256: claimed, size: bytes.length }),
      'VERIFY_FAILED',
    );
    expect(fs.existsSync(path.join(dir, 'archive', key))).toBe(false);
    expect(fs.readdirSync(path.join(dir, 'archive', '.sealdock-tmp'))).toEqual([]);
  });
});

describe('copyHashFlush: copy, SHA-256 and flush in one pass', () => {
  it('copies more than one flush interval exactly, with the hash sha256sum computes', async () => {
    const dir = tmp();
    const src = path.join(dir, 'src.bin');
    fs.writeFileSync(src, randomBytes(FLUSH_EVERY + 5 * 1024 * 1024 + 3));
    const dest = path.join(dir, 'dest.bin');
    const r = await copyHashFlush(fs.createReadStream(src, { highWaterMark: 4 * 1024 * 1024 }), dest);
    const independent = execFileSync('sha256sum', [dest], { encoding: 'utf8' }).split(' ')[0];
    expect(r).toEqual({ sha256: independent, size: fs.statSync(src).size });
    expect(fs.readFileSync(dest).equals(fs.readFileSync(src))).toBe(true);
  });

  it('past the size limit: PAYLOAD_TOO_LARGE and nothing left behind; never overwrites', async () => {
    const dir = tmp();
    const dest = path.join(dir, 'dest.bin');
    await expectCode(
      copyHashFlush(Readable.from([randomBytes(1000), randomBytes(1000)]), dest, { maxBytes: 1500 }),
      'PAYLOAD_TOO_LARGE',
    );
    expect(fs.existsSync(dest)).toBe(false);
    fs.writeFileSync(dest, 'already here');
    await expect(copyHashFlush(Readable.from([Buffer.from('x')]), dest)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(fs.readFileSync(dest, 'utf8')).toBe('already here');
  });
});
