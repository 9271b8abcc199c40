// The spool: our own durable copy of every original until the archive holds it verified.
// A file enters by being streamed into spool/tmp while its SHA-256 is computed and the data
// flushed in the same pass (util/durable-copy.ts), fsynced, and renamed into
// spool/originals/<sha256> (then the folder is fsynced): a crash leaves either nothing or a
// complete, correctly named file, never a half one under a real name.
import { randomUUID } from 'node:crypto';
import fsp from 'node:fs/promises';
import type { ReadBackProof } from '../archive/archive.js';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { SealdockError } from '../errors.js';
import { copyHashFlush } from '../util/durable-copy.js';
import { fsyncPath } from '../util/fsync.js';
import { RecentMap } from '../util/recent-map.js';

export interface SpooledTemp {
  tmpPath: string;
  sha256: string;
  size: number;
  /** Read back during the copy (copyHashFlush readBack): its proof is kept once it is named. */
  readBack: boolean;
}

// Read-back proofs of originals this process spooled, until the archive takes them; bounded (an
// original whose proof is gone is simply read back again by the archive).
const PROOFS_MAX = 1_000;

export class Spool {
  readonly tmpDir: string;
  readonly originalsDir: string;
  readonly itemsDir: string;
  private readonly proofs = new RecentMap<string, ReadBackProof>(PROOFS_MAX);

  /**
   * `readBack`: read every original back during its copy and keep the proof for the archive. The
   * local archive relies on it instead of a pass of its own; S3 proves the bytes as it sends them,
   * so a read-back here would only cost an extra hash of every file.
   */
  constructor(
    readonly root: string,
    private readonly opts: { readBack?: boolean } = {},
  ) {
    this.tmpDir = path.join(root, 'tmp');
    this.originalsDir = path.join(root, 'originals');
    this.itemsDir = path.join(root, 'items');
  }

  /** Creates the folders and removes what an interrupted run left in tmp (never named, never catalogued). */
  async init(): Promise<number> {
    for (const d of [this.tmpDir, this.originalsDir, this.itemsDir])
      await fsp.mkdir(d, { recursive: true, mode: 0o700 });
    const leftovers = await fsp.readdir(this.tmpDir);
    for (const name of leftovers) await fsp.rm(path.join(this.tmpDir, name), { force: true, recursive: true });
    return leftovers.length;
  }

  originalPath(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new SealdockError('BAD_INPUT', 'not a SHA-256');
    return path.join(this.originalsDir, sha256);
  }

  itemDir(evidenceId: string): string {
    return path.join(this.itemsDir, evidenceId);
  }

  newTempPath(suffix = '.part'): string {
    return path.join(this.tmpDir, `${randomUUID()}${suffix}`);
  }

  /**
   * Streams `source` into a temp file, hashing and flushing in the same pass; durable when it
   * returns. Aborts (and removes the temp file) past `maxBytes`.
   */
  async receive(source: Readable | AsyncIterable<Buffer>, maxBytes: number): Promise<SpooledTemp> {
    const tmpPath = this.newTempPath();
    // The one read-back verify pass of the original happens here, during the copy (the local
    // archive relies on it through takeReadBackProof instead of reading the file again).
    const { sha256, size, readBack } = await copyHashFlush(source, tmpPath, {
      maxBytes,
      mode: 0o600,
      readBack: this.opts.readBack ?? false,
    });
    return { tmpPath, sha256, size, readBack: readBack ?? false };
  }

  /**
   * Names a received temp file by its content. Idempotent: the same content may already be there.
   * Its read-back proof is kept, tied to the inode as it is once read-only and named: a later
   * write, chmod or rename of it changes mtime or ctime and voids the proof.
   */
  async commitOriginal(temp: SpooledTemp): Promise<string> {
    const final = this.originalPath(temp.sha256);
    await fsp.chmod(temp.tmpPath, 0o400);
    await fsp.rename(temp.tmpPath, final);
    await fsyncPath(this.originalsDir);
    if (!temp.readBack) return final;
    const st = await fsp.lstat(final);
    this.proofs.set(final, {
      sha256: temp.sha256,
      size: temp.size,
      dev: st.dev,
      ino: st.ino,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
    });
    return final;
  }

  /** The read-back proof of an original this process spooled (used once), if it still has it. */
  takeReadBackProof(file: string): ReadBackProof | undefined {
    const proof = this.proofs.get(file);
    this.proofs.delete(file);
    return proof;
  }

  async discard(temp: SpooledTemp): Promise<void> {
    await fsp.rm(temp.tmpPath, { force: true });
  }

  /** Writes a small artefact (manifest, signature) for an item durably, once. */
  async writeItemFile(evidenceId: string, name: string, bytes: Buffer): Promise<string> {
    const dir = this.itemDir(evidenceId);
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    const final = path.join(dir, name);
    const tmp = this.newTempPath();
    await fsp.writeFile(tmp, bytes, { mode: 0o400, flag: 'wx' });
    await fsyncPath(tmp);
    await fsp.rename(tmp, final);
    await fsyncPath(dir);
    return final;
  }

  async readItemFile(evidenceId: string, name: string): Promise<Buffer | null> {
    try {
      return await fsp.readFile(path.join(this.itemDir(evidenceId), name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async removeItemFile(evidenceId: string, name: string): Promise<void> {
    await fsp.rm(path.join(this.itemDir(evidenceId), name), { force: true });
  }

  async removeOriginal(sha256: string): Promise<void> {
    await fsp.rm(this.originalPath(sha256), { force: true });
  }

  async removeItem(evidenceId: string): Promise<void> {
    await fsp.rm(this.itemDir(evidenceId), { force: true, recursive: true });
  }

  /** Bytes waiting in the spool (backlog), for status and metrics. */
  async usage(): Promise<{ files: number; bytes: number }> {
    let files = 0;
    let bytes = 0;
    for (const name of await fsp.readdir(this.originalsDir)) {
      const st = await fsp.stat(path.join(this.originalsDir, name)).catch(() => null);
      if (st?.isFile()) {
        files++;
        bytes += st.size;
      }
    }
    return { files, bytes };
  }
}
