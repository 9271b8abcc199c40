// The `local` archive backend: a directory with the same key layout as S3. Write-once: an object
// is written under a temporary name, fsynced, made read-only and linked into place (link(2)
// refuses to replace an existing name, so a racing writer can never overwrite). Retention and
// legal hold are recorded in a metadata file beside the object, for parity with S3.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { SealdockError } from '../errors.js';
import { copyHashFlush, readFileChunks } from '../util/durable-copy.js';
import { fsyncPath } from '../util/fsync.js';
import { sha256File } from '../util/hash.js';
import { RecentMap } from '../util/recent-map.js';
import { nowIso } from '../util/time.js';

import type {
  ArchiveBackend,
  ByteRange,
  ObjectInfo,
  ObjectSource,
  ObjectVersion,
  OpenedFile,
  PutOptions,
  ReadBackProof,
  StoredObject,
  VerifyResult,
} from './archive.js';
import { assertSafeKey } from './keys.js';

/** Any write to the file changes one of these (ctime at least): what a proof of its bytes is tied to. */
function fileIdentity(st: fs.Stats): string {
  return `file:${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

const META_DIR = '.sealdock-meta';
const TMP_DIR = '.sealdock-tmp';
// Objects this process placed after hashing them, awaiting their one verify; bounded.
const PLACED_MAX = 10_000;

/** What identifies an inode and proves it unchanged: a write, chmod or link moves ctime. */
interface Identity {
  dev: number;
  ino: number;
  size: number;
  ctimeMs: number;
  sha256: string;
}

interface LocalMeta {
  sha256: string;
  size: number;
  contentType: string;
  retainUntil: string;
  legalHold: boolean;
  storedAt: string;
}

export interface LocalArchiveOptions {
  root: string;
  /** Hard-link read-only source files on the same filesystem instead of copying (default true). */
  linkSources?: boolean;
  /**
   * Remove temp files an interrupted write left behind, at checkReady. Only the daemon (which
   * holds the data-dir lock) may: a CLI command must not delete a running daemon's in-flight write.
   */
  sweepTemp?: boolean;
}

export class LocalArchive implements ArchiveBackend {
  readonly kind = 'local' as const;
  private readonly root: string;
  private readonly linkSources: boolean;
  private readonly sweepTemp: boolean;
  private readonly placed = new RecentMap<string, Identity>(PLACED_MAX);

  constructor(opts: LocalArchiveOptions) {
    this.root = path.resolve(opts.root);
    this.linkSources = opts.linkSources ?? true;
    this.sweepTemp = opts.sweepTemp ?? false;
  }

  async checkReady(): Promise<void> {
    try {
      await fsp.mkdir(path.join(this.root, TMP_DIR), { recursive: true });
      await fsp.mkdir(path.join(this.root, META_DIR), { recursive: true });
      await fsp.access(this.root, fs.constants.W_OK);
    } catch (err) {
      throw new SealdockError(
        'ARCHIVE_NOT_READY',
        `local archive ${this.root} is not writable: ${(err as Error).message}`,
      );
    }
    if (!this.sweepTemp) return;
    // Leftovers of a write interrupted by a crash: never linked into place, safe to remove.
    for (const name of await fsp.readdir(path.join(this.root, TMP_DIR))) {
      await fsp.rm(path.join(this.root, TMP_DIR, name), { force: true });
    }
  }

  private objectPath(key: string): string {
    return path.join(this.root, assertSafeKey(key));
  }

  private metaPath(key: string): string {
    return path.join(this.root, META_DIR, `${assertSafeKey(key)}.json`);
  }

  async put(key: string, source: ObjectSource, opts: PutOptions): Promise<StoredObject> {
    const target = this.objectPath(key);
    const existing = await this.existingMatches(target, opts);
    if (existing) {
      await this.writeMetaIfMissing(key, opts);
      return { key, size: opts.size, sha256: opts.sha256, alreadyPresent: true };
    }
    await fsp.mkdir(path.dirname(target), { recursive: true });
    const tmp = path.join(this.root, TMP_DIR, randomUUID());
    try {
      const written = await this.writeTemp(tmp, source);
      if (written.sha256 !== opts.sha256 || written.size !== opts.size) {
        throw new SealdockError('VERIFY_FAILED', `content for ${key} does not match its expected SHA-256/size`, {
          expected: { sha256: opts.sha256, size: opts.size },
          actual: written,
        });
      }
      await fsp.chmod(tmp, 0o444);
      try {
        await fsp.link(tmp, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // Someone else placed it meanwhile: fine only if it is the same content.
        if (!(await this.existingMatches(target, opts))) throw conflict(key);
        return { key, size: opts.size, sha256: opts.sha256, alreadyPresent: true };
      }
      await fsyncPath(path.dirname(target));
      await fsp.rm(tmp, { force: true }); // before taking the identity: unlinking moves ctime
      await this.rememberPlaced(key, target, opts.sha256);
      await this.writeMetaIfMissing(key, opts);
      return { key, size: opts.size, sha256: opts.sha256, alreadyPresent: false };
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }

  private async existingMatches(target: string, opts: PutOptions): Promise<boolean> {
    let st: fs.Stats;
    try {
      st = await fsp.lstat(target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    if (!st.isFile() || st.size !== opts.size) throw conflict(path.relative(this.root, target));
    const { sha256 } = await sha256File(target);
    if (sha256 !== opts.sha256) throw conflict(path.relative(this.root, target));
    return true;
  }

  /**
   * The object's bytes under a temp name, durable, with their SHA-256 read from what is now on
   * disk. One pass either way: a hard link of the spool's read-only original relies on the spool's
   * read-back while that inode is unchanged, or is hashed once; a copy (other filesystem) is hashed
   * while it is written and flushed.
   */
  private async writeTemp(tmp: string, source: ObjectSource): Promise<{ sha256: string; size: number }> {
    if ('path' in source) {
      // Checked before the link, which moves ctime: the inode is still the one read back.
      const proof =
        source.readBack && (await this.unchangedSince(source.path, source.readBack)) ? source.readBack : null;
      if (await this.tryLink(source.path, tmp)) {
        const st = proof ? await fsp.lstat(tmp) : null;
        if (proof && st?.dev === proof.dev && st.ino === proof.ino) return { sha256: proof.sha256, size: proof.size };
        return sha256File(tmp);
      }
    }
    if ('bytes' in source) {
      await fsp.writeFile(tmp, source.bytes, { flag: 'wx', mode: 0o600 });
      await fsyncPath(tmp);
      return sha256File(tmp);
    }
    return copyHashFlush(readFileChunks(source.path), tmp, { mode: 0o600 });
  }

  private async rememberPlaced(key: string, target: string, sha256: string): Promise<void> {
    const st = await fsp.lstat(target);
    this.placed.set(key, { dev: st.dev, ino: st.ino, size: st.size, ctimeMs: st.ctimeMs, sha256 });
  }

  /** Whether `file` is still, read-only and unwritten, the inode its read-back proof is about. */
  private async unchangedSince(file: string, proof: ReadBackProof): Promise<boolean> {
    const st = await fsp.lstat(file).catch(() => null);
    return (
      !!st?.isFile() &&
      (st.mode & 0o222) === 0 &&
      st.dev === proof.dev &&
      st.ino === proof.ino &&
      st.size === proof.size &&
      st.mtimeMs === proof.mtimeMs &&
      st.ctimeMs === proof.ctimeMs
    );
  }

  /** Hard-links a source we own (the spool's read-only original) when on the same filesystem. */
  private async tryLink(from: string, tmp: string): Promise<boolean> {
    if (!this.linkSources) return false;
    try {
      const st = await fsp.lstat(from);
      if (!st.isFile() || (st.mode & 0o222) !== 0) return false; // only sources nobody can write to
      await fsp.link(from, tmp);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EXDEV' || code === 'EPERM' || code === 'EMLINK' || code === 'ENOTSUP') return false;
      throw err;
    }
  }

  private async readMeta(key: string): Promise<LocalMeta | null> {
    try {
      return JSON.parse(await fsp.readFile(this.metaPath(key), 'utf8')) as LocalMeta;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  private async writeMeta(key: string, meta: LocalMeta): Promise<void> {
    const file = this.metaPath(key);
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    await fsp.writeFile(tmp, JSON.stringify(meta), { mode: 0o600 });
    await fsp.rename(tmp, file);
  }

  private async writeMetaIfMissing(key: string, opts: PutOptions): Promise<void> {
    if (await this.readMeta(key)) return;
    await this.writeMeta(key, {
      sha256: opts.sha256,
      size: opts.size,
      contentType: opts.contentType,
      retainUntil: opts.retainUntil.toISOString(),
      legalHold: opts.legalHold,
      storedAt: nowIso(),
    });
  }

  async verify(key: string, expected: { sha256: string; size: number }): Promise<VerifyResult> {
    // Right after our own put: that put hashed these very bytes (the read-back) before linking
    // them into place. If the name still holds that inode, unchanged and read-only, a second full
    // hash would read the same blocks again. Used once; every later verify re-reads every byte.
    const placed = this.placed.get(key);
    if (placed) {
      this.placed.delete(key);
      const st = await fsp.lstat(this.objectPath(key)).catch(() => null);
      if (
        st?.isFile() &&
        (st.mode & 0o222) === 0 &&
        st.dev === placed.dev &&
        st.ino === placed.ino &&
        st.size === placed.size &&
        st.ctimeMs === placed.ctimeMs &&
        placed.sha256 === expected.sha256 &&
        placed.size === expected.size
      ) {
        return { ok: true, key, method: 'same-inode', actualSha256: placed.sha256, size: st.size };
      }
    }
    try {
      const actual = await sha256File(this.objectPath(key));
      const ok = actual.sha256 === expected.sha256 && actual.size === expected.size;
      return {
        ok,
        key,
        method: 'rehash',
        actualSha256: actual.sha256,
        size: actual.size,
        problem: ok
          ? undefined
          : `stored bytes hash to ${actual.sha256} (${actual.size} B), expected ${expected.sha256} (${expected.size} B)`,
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        return { ok: false, key, method: 'rehash', problem: 'object is missing' };
      throw err;
    }
  }

  async head(key: string, _versionId?: string): Promise<ObjectInfo | null> {
    let st: fs.Stats;
    try {
      st = await fsp.lstat(this.objectPath(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    if (!st.isFile()) return null;
    const meta = await this.readMeta(key);
    return {
      key,
      size: st.size,
      retainUntil: meta ? new Date(meta.retainUntil) : undefined,
      lockMode: meta ? 'COMPLIANCE' : undefined,
      legalHold: meta?.legalHold,
      etag: meta ? `"${meta.sha256}"` : `"${st.size.toString(16)}-${Math.trunc(st.mtimeMs).toString(16)}"`,
      lastModified: st.mtime,
      identity: fileIdentity(st),
    };
  }

  /** No versions here: `versionId` is ignored, and the bytes are checked by whoever pinned them. */
  async read(key: string, range?: ByteRange, _versionId?: string): Promise<Readable> {
    const file = this.objectPath(key);
    const st = await fsp.lstat(file).catch(() => null);
    if (!st?.isFile()) throw new SealdockError('NOT_FOUND', `no archived object ${key}`);
    return fs.createReadStream(file, {
      highWaterMark: 1024 * 1024,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }

  async openFile(key: string): Promise<OpenedFile> {
    const file = this.objectPath(key);
    // O_NOFOLLOW: the object is a regular file we placed, never a link planted in the archive.
    const handle = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW).catch((err: unknown) => {
      throw new SealdockError('NOT_FOUND', `no archived object ${key}`, undefined, { cause: err });
    });
    const st = await handle.stat();
    return {
      identity: fileIdentity(st),
      read: async (buffer, length, position) => (await handle.read(buffer, 0, length, position)).bytesRead,
      close: () => handle.close(),
    };
  }

  async *list(prefix: string): AsyncIterable<string> {
    yield* this.walk('', prefix);
  }

  /** One "version" per file: a directory keeps no history (and no delete markers). */
  async *versions(prefix: string): AsyncIterable<ObjectVersion> {
    for await (const key of this.list(prefix)) {
      const st = await fsp.lstat(this.objectPath(key)).catch(() => null);
      if (st?.isFile()) yield { key, deleteMarker: false, isLatest: true, size: st.size, lastModified: st.mtime };
    }
  }

  private async *walk(rel: string, prefix: string): AsyncIterable<string> {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(path.join(this.root, rel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    // Byte-wise order of the full key, as S3 lists (a directory sorts as "name/").
    const named = entries
      .filter((e) => !(rel === '' && e.name.startsWith('.sealdock-')))
      .map((e) => ({ e, key: rel ? `${rel}/${e.name}` : e.name }))
      .map((x) => ({ ...x, sortKey: x.e.isDirectory() ? `${x.key}/` : x.key }))
      .sort((a, b) => Buffer.compare(Buffer.from(a.sortKey), Buffer.from(b.sortKey)));
    for (const { e, key, sortKey } of named) {
      if (!(sortKey.startsWith(prefix) || prefix.startsWith(sortKey))) continue;
      if (e.isDirectory()) yield* this.walk(key, prefix);
      else if (e.isFile() && key.startsWith(prefix)) yield key;
    }
  }

  async setLegalHold(key: string, on: boolean): Promise<void> {
    const meta = await this.requireMeta(key);
    await this.writeMeta(key, { ...meta, legalHold: on });
  }

  async extendRetention(key: string, until: Date): Promise<void> {
    const meta = await this.requireMeta(key);
    if (until.getTime() <= new Date(meta.retainUntil).getTime()) return;
    await this.writeMeta(key, { ...meta, retainUntil: until.toISOString() });
  }

  private async requireMeta(key: string): Promise<LocalMeta> {
    const meta = await this.readMeta(key);
    if (!meta) throw new SealdockError('NOT_FOUND', `no archived object ${key}`);
    return meta;
  }

  async close(): Promise<void> {}
}

function conflict(key: string): SealdockError {
  return new SealdockError(
    'ARCHIVE_CONFLICT',
    `archive key ${key} already holds different content; nothing was written`,
  );
}
