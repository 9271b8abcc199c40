// Every read of evidence from the archive goes through here. It asks for the version the catalog
// recorded (S3 VersionId: an overwrite or a delete marker on the key changes nothing we read), and
// it checks the bytes:
// - a whole object is hashed as it streams; its last chunk is held back until the SHA-256 and the
//   size match, so a client never receives a complete response of bytes that are not the record
//   (the stream fails instead, and the HTTP layer destroys the socket mid-body);
// - a byte range cannot be hashed against anything, so the object is attested BEFORE the first
//   byte: on S3 the pinned version's size and the store's SHA-256 checksum (full, or the composite
//   recorded at put) must be ours, and a version's bytes never change, so one proof per version is
//   remembered; on the local backend (no versions) the whole file is re-hashed once per file
//   identity (inode, size, mtime, ctime — any write changes ctime) and remembered.
// A mismatch raises an integrity alarm (the sink logs, counts and audits it) and fails the read
// with INTEGRITY_ALARM; it is never a normal read.
// A range of a local file may also be sent by a RangePump (openRange): the same attestation first,
// then the file is opened and must still be the identity that was attested; its bytes go out
// through a few reused buffers, exactly the range's length or the response is cut off.
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { SealdockError, isSealdockError } from '../errors.js';
import { BufferPool } from '../util/buffer-pool.js';
import type { ArchiveBackend, ByteRange, ObjectInfo, OpenedFile } from './archive.js';

/** What the catalog recorded about an archived object. */
export interface PinnedObject {
  key: string;
  sha256: string;
  size: number;
  evidenceId?: string | null | undefined;
  /** The S3 version written by us; null for the local backend and for rows from before pinning. */
  versionId?: string | null | undefined;
  /** The store's checksum at put time (a composite `…-N` for multipart), when recorded. */
  backendChecksum?: string | null | undefined;
}

/** Who reads: names the alarm and the audit row (`api`, `export`, `verify`, `derive`, `reindex`). */
export type Reader = 'api' | 'export' | 'verify' | 'derive' | 'reindex' | 'audit';

export interface IntegrityAlarm {
  reader: Reader;
  key: string;
  evidenceId: string | null;
  versionId: string | null;
  problem: string;
  expected: { sha256: string; size: number };
  actual?: { sha256?: string | undefined; size?: number | undefined } | undefined;
  /** Whether bytes had already left when it was found (the response was then cut off). */
  midStream: boolean;
}

export type AlarmSink = (alarm: IntegrityAlarm) => void;

export interface OpenOptions {
  reader: Reader;
  range?: ByteRange | undefined;
  /** Runs once, right before the first byte is released (the access row); a throw cancels the read. */
  beforeFirstByte?: (() => void) | undefined;
}

const PROVEN_MAX = 20_000;

function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

export class PinnedReader {
  /** identity (S3 version / local file identity) → proven to hold the recorded bytes */
  private readonly proven = new Map<string, true>();
  /** key → the version pinned for rows that recorded none (the oldest: we write each key once) */
  private readonly resolved = new Map<string, string>();

  constructor(
    private readonly archive: ArchiveBackend,
    private readonly onAlarm: AlarmSink,
  ) {}

  /** Streams the recorded bytes (or a range of them), checked as described above. */
  async open(obj: PinnedObject, opts: OpenOptions): Promise<Readable> {
    const versionId = await this.versionOf(obj);
    const info = await this.pinnedHead(obj, versionId, opts.reader);
    if (opts.range) {
      await this.attest(obj, info, versionId, opts.reader);
      const length = opts.range.end - opts.range.start + 1;
      const source = await this.archive.read(obj.key, opts.range, versionId);
      return source.pipe(this.counted(obj, versionId, opts, length, source));
    }
    const source = await this.archive.read(obj.key, undefined, versionId);
    return source.pipe(this.verifying(obj, versionId, info.identity, opts, source));
  }

  /**
   * A range, attested as open() does, ready to be written by a RangePump: its first chunk is read
   * and `beforeFirstByte` has run when this resolves. Null when the backend has no files to open
   * (S3) or the file changed since it was attested: then open() serves the read.
   */
  async openRange(obj: PinnedObject, opts: OpenOptions & { range: ByteRange }): Promise<RangePump | null> {
    if (!this.archive.openFile) return null;
    const versionId = await this.versionOf(obj);
    const info = await this.pinnedHead(obj, versionId, opts.reader);
    await this.attest(obj, info, versionId, opts.reader);
    const file = await this.archive.openFile(obj.key);
    if (file.identity !== info.identity) {
      await file.close();
      return null;
    }
    const pump = new RangePump(file, opts.range, obj.key);
    try {
      await pump.readFirst();
      opts.beforeFirstByte?.();
    } catch (err) {
      await pump.close();
      throw err;
    }
    return pump;
  }

  /** The whole object, checked (manifests, signatures: small). */
  async readAll(obj: PinnedObject, reader: Reader): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of await this.open(obj, { reader })) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /** Proves the stored object is the record without streaming it to anyone (`verify`, readiness). */
  async check(obj: PinnedObject, reader: Reader): Promise<void> {
    const versionId = await this.versionOf(obj);
    const info = await this.pinnedHead(obj, versionId, reader);
    await this.attest(obj, info, versionId, reader);
  }

  /**
   * The version to read. Recorded by the put; for older rows (and rows rebuilt by reindex) the
   * OLDEST version of the key, since our writes are write-once (If-None-Match: *): anything later
   * was written by someone else.
   */
  async versionOf(obj: PinnedObject): Promise<string | undefined> {
    if (obj.versionId) return obj.versionId;
    if (this.archive.kind === 'local') return undefined;
    const known = this.resolved.get(obj.key);
    if (known) return known;
    const first = (await firstVersion(this.archive, obj.key))?.versionId;
    if (first) this.resolved.set(obj.key, first);
    return first;
  }

  private alarm(
    obj: PinnedObject,
    versionId: string | undefined,
    reader: Reader,
    problem: string,
    actual?: IntegrityAlarm['actual'],
    midStream = false,
  ): SealdockError {
    const alarm: IntegrityAlarm = {
      reader,
      key: obj.key,
      evidenceId: obj.evidenceId ?? null,
      versionId: versionId ?? null,
      problem,
      expected: { sha256: obj.sha256, size: obj.size },
      ...(actual ? { actual } : {}),
      midStream,
    };
    try {
      this.onAlarm(alarm);
    } catch {
      // The alarm sink logs its own failures; the read is refused either way.
    }
    return new SealdockError('INTEGRITY_ALARM', `${obj.key}: ${problem}; the read was refused`, {
      key: obj.key,
      versionId: versionId ?? null,
    });
  }

  private async pinnedHead(obj: PinnedObject, versionId: string | undefined, reader: Reader): Promise<ObjectInfo> {
    let info: ObjectInfo | null;
    try {
      info = await this.archive.head(obj.key, versionId);
    } catch (err) {
      // An unreachable archive is an outage, not tampering: let it be retried.
      if (!isSealdockError(err, 'NOT_FOUND')) throw err;
      info = null;
    }
    if (!info) {
      throw this.alarm(
        obj,
        versionId,
        reader,
        versionId ? `the recorded version ${versionId} is gone from the archive` : 'the archived object is gone',
      );
    }
    if (info.size !== obj.size)
      throw this.alarm(obj, versionId, reader, `stored size ${info.size} is not the recorded ${obj.size}`, {
        size: info.size,
      });
    const server = info.checksumSha256;
    if (server && !server.includes('-') && server !== hexToBase64(obj.sha256)) {
      throw this.alarm(
        obj,
        versionId,
        reader,
        `the store's SHA-256 ${server} is not the recorded ${hexToBase64(obj.sha256)}`,
        { sha256: Buffer.from(server, 'base64').toString('hex') },
      );
    }
    if (server?.includes('-') && obj.backendChecksum?.includes('-') && server !== obj.backendChecksum) {
      throw this.alarm(
        obj,
        versionId,
        reader,
        `the store's composite checksum ${server} is not the recorded ${obj.backendChecksum}`,
      );
    }
    return info;
  }

  /** Before a range leaves: the object as a whole is proven to be the record (see the top). */
  private async attest(
    obj: PinnedObject,
    info: ObjectInfo,
    versionId: string | undefined,
    reader: Reader,
  ): Promise<void> {
    const id = `${obj.key}\u0000${obj.sha256}\u0000${info.identity}`;
    if (this.proven.has(id)) return;
    const server = info.checksumSha256;
    // pinnedHead already compared what the store's checksum can prove.
    const provenByChecksum =
      (server !== undefined && !server.includes('-')) ||
      (server?.includes('-') === true && obj.backendChecksum === server);
    if (!provenByChecksum) {
      const hash = createHash('sha256');
      let size = 0;
      for await (const c of await this.archive.read(obj.key, undefined, versionId)) {
        hash.update(c as Buffer);
        size += (c as Buffer).length;
      }
      const sha256 = hash.digest('hex');
      if (sha256 !== obj.sha256 || size !== obj.size)
        throw this.alarm(obj, versionId, reader, `stored bytes hash to ${sha256} (${size} B)`, { sha256, size });
    }
    this.remember(id);
  }

  private remember(id: string): void {
    this.proven.set(id, true);
    if (this.proven.size > PROVEN_MAX) {
      const oldest = this.proven.keys().next().value;
      if (oldest !== undefined) this.proven.delete(oldest);
    }
  }

  /** Whole object: hash on the way, hold the last chunk until the digest is known. */
  private verifying(
    obj: PinnedObject,
    versionId: string | undefined,
    identity: string,
    opts: OpenOptions,
    source: Readable,
  ): Transform {
    const hash = createHash('sha256');
    let size = 0;
    let held: Buffer | null = null;
    let released = false;
    const release = (out: Transform, chunk: Buffer) => {
      if (!released) {
        released = true;
        opts.beforeFirstByte?.();
      }
      out.push(chunk);
    };
    const fail = (problem: string, actual?: IntegrityAlarm['actual']) =>
      this.alarm(obj, versionId, opts.reader, problem, actual, released);
    const out: Transform = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        size += chunk.length;
        if (size > obj.size) return cb(fail(`the stored object is longer than the recorded ${obj.size} bytes`));
        hash.update(chunk);
        try {
          if (held) release(out, held);
        } catch (err) {
          return cb(err as Error);
        }
        held = chunk;
        cb();
      },
      flush: (cb) => {
        const sha256 = hash.digest('hex');
        if (sha256 !== obj.sha256 || size !== obj.size) {
          return cb(fail(`stored bytes hash to ${sha256} (${size} B)`, { sha256, size }));
        }
        this.remember(`${obj.key}\u0000${obj.sha256}\u0000${identity}`);
        try {
          if (held) release(out, held);
          else if (!released) opts.beforeFirstByte?.();
        } catch (err) {
          return cb(err as Error);
        }
        cb();
      },
    });
    source.on('error', (err) => out.destroy(err));
    out.on('close', () => {
      if (!source.destroyed) source.destroy();
    });
    return out;
  }

  /** A range: attested before; here only the length is held to what was asked. */
  private counted(
    obj: PinnedObject,
    versionId: string | undefined,
    opts: OpenOptions,
    length: number,
    source: Readable,
  ): Transform {
    let size = 0;
    let released = false;
    const out = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        size += chunk.length;
        if (size > length) return cb(new SealdockError('INTERNAL', `${obj.key}: the store sent more than the range`));
        try {
          if (!released) {
            released = true;
            opts.beforeFirstByte?.();
          }
        } catch (err) {
          return cb(err as Error);
        }
        cb(null, chunk);
      },
      flush: (cb) => {
        if (size !== length)
          return cb(
            new SealdockError(
              'ARCHIVE_UNAVAILABLE',
              `${obj.key}${versionId ? ` (version ${versionId})` : ''}: the store sent ${size} of ${length} bytes`,
            ),
          );
        cb();
      },
    });
    source.on('error', (err) => out.destroy(err));
    out.on('close', () => {
      if (!source.destroyed) source.destroy();
    });
    return out;
  }
}

/**
 * The first version written under a key (our writes are write-once), whole, or null when there is
 * none: for objects the catalog keeps no digest of (audit segments, whose seals prove them), so
 * that an overwrite or a delete marker on the key changes nothing that is read.
 */
export async function readFirstVersion(archive: ArchiveBackend, key: string): Promise<Buffer | null> {
  const first = await firstVersion(archive, key);
  if (!first) return null;
  const chunks: Buffer[] = [];
  for await (const c of await archive.read(key, undefined, first.versionId)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The oldest stored version of exactly this key (not a delete marker), or null. */
async function firstVersion(
  archive: ArchiveBackend,
  key: string,
): Promise<{ versionId?: string | undefined; at: number } | null> {
  let first: { versionId?: string | undefined; at: number } | null = null;
  for await (const v of archive.versions(key)) {
    if (v.key !== key || v.deleteMarker) continue;
    const at = v.lastModified?.getTime() ?? 0;
    // Newest first within a key: on a tie the later one listed is the older.
    if (!first || at <= first.at) first = { versionId: v.versionId, at };
  }
  return first;
}

/** What a RangePump writes to (an http.ServerResponse): write callbacks say when a chunk left. */
export interface ChunkSink {
  write(chunk: Buffer, done: (err?: Error | null) => void): boolean;
  end(): void;
  destroy(err?: Error): void;
  readonly destroyed: boolean;
  once(event: 'close', listener: () => void): unknown;
}

const PUMP_CHUNK = 1024 * 1024;
const PUMP_DEPTH = 3;
/** Chunk buffers whose last write has completed, kept for the next range (page faults of fresh
 *  1 MiB buffers cost more than the copy into the socket). */
const pumpBuffers = new BufferPool(PUMP_CHUNK, 4 * PUMP_DEPTH);

/**
 * Streams one byte range of an open file through at most PUMP_DEPTH buffers: a buffer is read
 * into again only after the write that sent it has completed, so no byte is overwritten while a
 * socket still holds it, and reads run ahead of the socket. Exactly the range's length is sent;
 * a file that ends early fails the response mid-body (the sink is destroyed: never complete).
 */
export class RangePump {
  private position: number;
  private readonly end: number;
  private first: { buffer: Buffer; length: number } | null = null;
  private closed = false;

  constructor(
    private readonly file: OpenedFile,
    range: ByteRange,
    private readonly key: string,
  ) {
    this.position = range.start;
    this.end = range.end + 1;
  }

  /** Reads the first chunk (before any byte may leave: a read that fails here is a clean error). */
  async readFirst(): Promise<void> {
    this.first = await this.readNext();
  }

  /** Writes the range to `sink` and ends it; on any failure the sink is destroyed, not ended. */
  async run(sink: ChunkSink): Promise<void> {
    // Each of the PUMP_DEPTH buffers is free, being read into, or held by a write; only a write
    // callback without error frees it again.
    let free = PUMP_DEPTH;
    const spare: Buffer[] = [];
    const reads: Promise<{ buffer: Buffer; length: number }>[] = [];
    let failed: Error | null = null;
    let wake: (() => void) | null = null;
    const notify = () => {
      const w = wake;
      wake = null;
      w?.();
    };
    sink.once('close', notify);
    const send = (chunk: { buffer: Buffer; length: number }) => {
      sink.write(chunk.buffer.subarray(0, chunk.length), (err) => {
        if (err) failed ??= err;
        else {
          spare.push(chunk.buffer);
          free++;
        }
        notify();
      });
    };
    try {
      if (this.first) {
        free--;
        send(this.first);
        this.first = null;
      }
      while (this.position < this.end || reads.length > 0) {
        if (failed) throw failed;
        if (sink.destroyed) throw new Error('the client went away');
        while (this.position < this.end && free > 0) {
          free--;
          const read = this.readNext(spare.pop());
          read.catch(() => undefined); // awaited in order below; settled before the file closes
          reads.push(read);
        }
        if (reads.length === 0) {
          await new Promise<void>((resolve) => (wake = resolve)); // every buffer is in a write
          continue;
        }
        send(await reads.shift()!);
      }
      if (failed) throw failed;
      sink.end();
    } catch (err) {
      sink.destroy(err as Error);
    } finally {
      await Promise.allSettled(reads);
      for (const b of spare) pumpBuffers.give(b);
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
  }

  private async readNext(reuse?: Buffer): Promise<{ buffer: Buffer; length: number }> {
    const want = Math.min(PUMP_CHUNK, this.end - this.position);
    const at = this.position;
    this.position += want;
    const buffer = reuse ?? pumpBuffers.take();
    let length = 0;
    while (length < want) {
      const n = await this.file.read(buffer.subarray(length), want - length, at + length);
      if (n === 0)
        throw new SealdockError(
          'ARCHIVE_UNAVAILABLE',
          `${this.key}: the file ended ${this.end - at - length} bytes early`,
        );
      length += n;
    }
    return { buffer, length };
  }
}
