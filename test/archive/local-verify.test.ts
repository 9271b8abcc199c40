// The local backend proves a freshly archived spool original with one hash pass (the spool's
// read-back during its copy, or its own before linking when it has no proof of that) plus an
// identity check, and re-reads every byte on every later verify.
// The one-pass copy (copy + SHA-256 + chunked flush) is checked against node:crypto and sha256sum.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalArchive } from '../../src/archive/local.js';
import { copyHashFlush, FLUSH_EVERY, READ_CHUNK, readFileChunks } from '../../src/util/durable-copy.js';
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

async function freshArchive(): Promise<{ dir: string; archive: LocalArchive }> {
  const dir = tmp();
  const archive = new LocalArchive({ root: path.join(dir, 'archive') });
  await archive.checkReady();
  return { dir, archive };
}

function readOnlySource(dir: string, bytes: Buffer): string {
  const file = path.join(dir, 'spool-original');
  fs.writeFileSync(file, bytes);
  fs.chmodSync(file, 0o400);
  return file;
}

describe('local archive: verifying a spool original', () => {
  it('right after put: the same inode, once; every later verify re-reads every byte', async () => {
    const { dir, archive } = await freshArchive();
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

  it("relies on the spool's read-back proof while the inode is unchanged, and reads the file again once it is not", async () => {
    const { dir, archive } = await freshArchive();
    const bytes = randomBytes(256 * 1024);
    const source = readOnlySource(dir, bytes);
    const st = fs.statSync(source);
    const proof = { size: bytes.length, dev: st.dev, ino: st.ino, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
    // A proof claiming other bytes for the very inode shows through: it is relied on, not re-read.
    const wrong = '0'.repeat(64);
    await expectCode(
      archive.put(
        'evidence/ev-p/original/a.mp4',
        { path: source, readBack: { ...proof, sha256: wrong } },
        { ...lock, sha256: sha(bytes), size: bytes.length },
      ),
      'VERIFY_FAILED',
    );
    // The same proof once the inode's ctime has moved (a chmod back and forth, as a write would):
    // ignored, the file is read back, and the put succeeds with its true hash.
    fs.chmodSync(source, 0o600);
    fs.chmodSync(source, 0o400);
    const key = 'evidence/ev-q/original/a.mp4';
    await archive.put(
      key,
      { path: source, readBack: { ...proof, sha256: wrong } },
      { ...lock, sha256: sha(bytes), size: bytes.length },
    );
    expect(await archive.verify(key, { sha256: sha(bytes), size: bytes.length })).toMatchObject({
      ok: true,
      method: 'same-inode',
    });
    // A true proof of an unchanged inode: placed without a second pass, verified once by identity.
    const again = readOnlySource(fs.mkdtempSync(path.join(dir, 'b-')), bytes);
    const st2 = fs.statSync(again);
    const key2 = 'evidence/ev-r/original/a.mp4';
    const stored = await archive.put(
      key2,
      {
        path: again,
        readBack: {
          sha256: sha(bytes),
          size: bytes.length,
          dev: st2.dev,
          ino: st2.ino,
          mtimeMs: st2.mtimeMs,
          ctimeMs: st2.ctimeMs,
        },
      },
      { ...lock, sha256: sha(bytes), size: bytes.length },
    );
    expect(stored).toMatchObject({ alreadyPresent: false, sha256: sha(bytes) });
    expect(fs.statSync(path.join(dir, 'archive', key2)).ino).toBe(st2.ino);
    expect(await archive.verify(key2, { sha256: sha(bytes), size: bytes.length })).toMatchObject({
      ok: true,
      method: 'same-inode',
    });
  });

  it('bytes changed between put and verify are caught by a full re-read', async () => {
    const { dir, archive } = await freshArchive();
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
    const { dir, archive } = await freshArchive();
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

  it('with readBack: reads the copy back through its own descriptor during the copy, every size alike', async () => {
    const dir = tmp();
    const sizes = [0, 1, READ_CHUNK - 1, READ_CHUNK, READ_CHUNK + 1, FLUSH_EVERY + 3 * READ_CHUNK + 5];
    for (const [i, size] of sizes.entries()) {
      const src = path.join(dir, `rb-src-${i}.bin`);
      fs.writeFileSync(src, randomBytes(size));
      const dest = path.join(dir, `rb-dest-${i}.bin`);
      const r = await copyHashFlush(readFileChunks(src), dest, { readBack: true });
      const independent = execFileSync('sha256sum', [dest], { encoding: 'utf8' }).split(' ')[0];
      expect(r).toEqual({ sha256: independent, size, readBack: true });
      expect(fs.readFileSync(dest).equals(fs.readFileSync(src))).toBe(true);
    }
  });

  it('with readBack: a byte someone else wrote past the copy is caught: VERIFY_FAILED, nothing left', async () => {
    const dir = tmp();
    const dest = path.join(dir, 'dest.bin');
    const chunks = [randomBytes(READ_CHUNK), randomBytes(1000)];
    async function* sourceThenIntruder(): AsyncGenerator<Buffer> {
      yield* chunks;
      // every chunk has been written: another writer appends a byte before the copy ends
      const fd = fs.openSync(dest, 'r+');
      fs.writeSync(fd, Buffer.from('!'), 0, 1, READ_CHUNK + 1000);
      fs.closeSync(fd);
    }
    await expectCode(copyHashFlush(sourceThenIntruder(), dest, { readBack: true }), 'VERIFY_FAILED');
    expect(fs.existsSync(dest)).toBe(false);
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
