// The one interface every archive backend implements. The pipeline and the API only ever talk to
// this; `test/archive/conformance.ts` runs the same suite against every backend.
import type { Readable } from 'node:stream';

export type ObjectSource = { path: string } | { bytes: Buffer };

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
  head(key: string): Promise<ObjectInfo | null>;
  /** Streams the object (or an inclusive byte range of it). Throws NOT_FOUND when absent. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Every key under the prefix, in lexical order. */
  list(prefix: string): AsyncIterable<string>;
  setLegalHold(key: string, on: boolean): Promise<void>;
  /** Moves retain-until later; a date earlier than the current one is ignored (never shortens). */
  extendRetention(key: string, until: Date): Promise<void>;
  close(): Promise<void>;
}
