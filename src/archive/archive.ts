// The one interface every archive backend implements. The pipeline and the API only ever talk to
// this; `test/archive/conformance.ts` runs the same suite against every backend.
import type { Readable } from 'node:stream';

/**
 * A file whose one read-back verify pass is already done (the spool's copy, util/durable-copy.ts):
 * its bytes read back as `sha256` while the inode had this identity. A backend that can prove it
 * stores that very inode, unchanged (local, hard link), may rely on it instead of reading it all
 * again; any other backend ignores it.
 */
export interface ReadBackProof {
  sha256: string;
  size: number;
  dev: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
}

export type ObjectSource = { path: string; readBack?: ReadBackProof | undefined } | { bytes: Buffer };

export interface PutOptions {
  /** Whole-object SHA-256 (hex) computed by us; the backend must prove the stored bytes match it. */
  sha256: string;
  size: number;
  contentType: string;
  /** Object Lock retain-until date (COMPLIANCE). The local backend records it beside the object. */
  retainUntil: Date;
  legalHold: boolean;
}

export interface StoredObject {
  key: string;
  size: number;
  sha256: string;
  /** S3 version id; undefined on the local backend. */
  versionId?: string | undefined;
  /** The backend's own checksum as it reported it (e.g. a composite `…-N` on S3 multipart). */
  backendChecksum?: string | undefined;
  /** True when the key already held exactly this content (idempotent re-put after a crash). */
  alreadyPresent: boolean;
}

export interface ObjectInfo {
  key: string;
  size: number;
  versionId?: string | undefined;
  retainUntil?: Date | undefined;
  lockMode?: string | undefined;
  legalHold?: boolean | undefined;
  etag?: string | undefined;
  lastModified?: Date | undefined;
  /** The store's own SHA-256 checksum, base64 (a composite `…-N` for S3 multipart); S3 only. */
  checksumSha256?: string | undefined;
  /**
   * What changes whenever the bytes could have: the version id on S3 (a version's bytes never
   * change), `dev:ino:size:mtime:ctime` on the local backend (ctime cannot be set back by anyone).
   */
  identity: string;
}

/** One stored version of a key, or a delete marker (S3); the local backend has one per file. */
export interface ObjectVersion {
  key: string;
  versionId?: string | undefined;
  deleteMarker: boolean;
  isLatest: boolean;
  size?: number | undefined;
  lastModified?: Date | undefined;
}

export interface VerifyResult {
  ok: boolean;
  key: string;
  /**
   * 'rehash' = every byte re-read and hashed; 'checksum' = server-side checksum compared;
   * 'same-inode' = (local backend, right after its own put) the object is the very read-only inode
   * that put hashed before placing it, unchanged since (device, inode, size, ctime).
   */
  method: 'rehash' | 'checksum' | 'same-inode';
  actualSha256?: string | undefined;
  size?: number | undefined;
  problem?: string | undefined;
}

export interface ByteRange {
  /** inclusive */
  start: number;
  /** inclusive */
  end: number;
}

/** The result of writing a locked canary and trying to destroy it (S3 only; see S3Archive.selfTestLock). */
export interface LockSelfTest {
  ok: boolean;
  checkedAt: string;
  /** what the store allowed that it must not, or why the test could not complete */
  problem?: string | undefined;
  canary?: { key: string; versionId?: string | undefined } | undefined;
  /** each attempt and the store's answer, for the log and the audit row */
  steps: string[];
}

/** An archived object's file, open: positioned reads until close(). */
export interface OpenedFile {
  /** Same form as ObjectInfo.identity: equal only while the file is the one head() saw. */
  identity: string;
  /** Reads up to `length` bytes at `position` into `buffer`; the count read (0 at the end). */
  read(buffer: Buffer, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface ArchiveBackend {
  readonly kind: 'local' | 's3';
  /** Throws SealdockError('ARCHIVE_NOT_READY') with what to fix (e.g. Object Lock not enabled). */
  checkReady(): Promise<void>;
  /**
   * Write-once. If the key already holds identical content (same SHA-256 and size) this succeeds
   * with alreadyPresent=true; if it holds different content it throws ARCHIVE_CONFLICT and
   * changes nothing. Never overwrites, never deletes.
   */
  put(key: string, source: ObjectSource, opts: PutOptions): Promise<StoredObject>;
  verify(key: string, expected: { sha256: string; size: number }): Promise<VerifyResult>;
  /** `versionId`: that version, never whatever is latest (S3; ignored by the local backend). */
  head(key: string, versionId?: string): Promise<ObjectInfo | null>;
  /**
   * Streams the object (or an inclusive byte range of it). Throws NOT_FOUND when absent.
   * Readers of evidence go through `PinnedReader` (pinned.ts), which passes the version the
   * catalog recorded and checks the bytes; a bare read gets whatever the key shows now.
   */
  read(key: string, range?: ByteRange, versionId?: string): Promise<Readable>;
  /**
   * The object's file opened for positioned reads, with the identity `head` reports for it
   * (local backend only): lets the API stream a Range through reused buffers (archive/pinned.ts).
   */
  openFile?(key: string): Promise<OpenedFile>;
  /** Every key under the prefix, in lexical order (what is visible now: not behind a delete marker). */
  list(prefix: string): AsyncIterable<string>;
  /**
   * Every version and delete marker under the prefix (S3 ListObjectVersions), by key, newest first
   * within a key. What `list` hides is here: overwrites and delete markers someone added.
   */
  versions(prefix: string): AsyncIterable<ObjectVersion>;
  setLegalHold(key: string, on: boolean): Promise<void>;
  /** Moves retain-until later; a date earlier than the current one is ignored (never shortens). */
  extendRetention(key: string, until: Date): Promise<void>;
  /**
   * Immutability tested, not assumed: only backends with a lock to test have it (S3). Until a
   * test has passed in this process, `put` runs one first; while the last one failed, `put`
   * refuses with ARCHIVE_NOT_READY and the reason.
   */
  selfTestLock?(): Promise<LockSelfTest>;
  /** The last self-test of this process, or null before the first. */
  lockStatus?(): LockSelfTest | null;
  close(): Promise<void>;
}
