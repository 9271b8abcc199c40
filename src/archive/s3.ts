// S3 backend: every object written once, under Object Lock COMPLIANCE, with a server-checked SHA-256.
// Works against AWS S3 and MinIO (tests use a pinned MinIO, see scripts/s3-server.sh).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  GetObjectRetentionCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { SealdockError, errorMessage, isSealdockError } from '../errors.js';
import type {
  ArchiveBackend,
  ByteRange,
  LockSelfTest,
  ObjectInfo,
  ObjectSource,
  ObjectVersion,
  PutOptions,
  StoredObject,
  VerifyResult,
} from './archive.js';
import { RecentMap } from '../util/recent-map.js';
import { assertSafeKey } from './keys.js';

export interface S3ArchiveConfig {
  /** Omit for AWS; e.g. http://127.0.0.1:9000 for MinIO. */
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  forcePathStyle: boolean;
  /** Multipart part size; objects up to one part go as a single PUT. Default 16. */
  partSizeMiB?: number;
  /** Parts in flight per upload (memory ≈ queueSize × partSize). Default 2. */
  queueSize?: number;
  /**
   * 'checksum' (default): compare the server's SHA-256 checksum (full for single PUT, composite for
   * multipart when this process knows the part digests), reading back only when it cannot prove it.
   * 'readback': always download and re-hash every byte.
   */
  verify?: 'checksum' | 'readback';
  /** Per-request socket timeout. Default 120 000. */
  requestTimeoutMs?: number;
  /** SDK attempts per request; kept small because the pipeline retries with back-off. Default 3. */
  maxAttempts?: number;
  /** Multipart uploads older than this are aborted as orphans by the start-up sweep. Default 1 h. */
  staleUploadMs?: number;
}

const MiB = 1024 * 1024;
const META_SHA256 = 'sha256';
const META_PART_SIZE = 'part-size';
const META_RETAIN_UNTIL = 'retain-until';
const HEX64 = /^[0-9a-f]{64}$/;
// Remembered composite checksums (from our own uploads) so verify needs no read-back; bounded.
const COMPOSITE_CACHE_MAX = 10_000;

interface LocalDigest {
  sha256: string;
  size: number;
  /** base64 composite `…-N` for multipart, base64 full digest for a single PUT */
  checksum: string;
}

type S3Error = Error & { $metadata?: { httpStatusCode?: number }; Code?: string; code?: string };

function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

function statusOf(err: unknown): number | undefined {
  return (err as S3Error | undefined)?.$metadata?.httpStatusCode;
}

function nameOf(err: unknown): string {
  const e = err as S3Error | undefined;
  return String(e?.name ?? e?.Code ?? e?.code ?? '');
}

function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404 || ['NotFound', 'NoSuchKey', 'NoSuchVersion'].includes(nameOf(err));
}

/**
 * SDK/network failures → SealdockError. Anything transient (no HTTP response, 5xx, 429, timeouts)
 * becomes ARCHIVE_UNAVAILABLE so the pipeline retries with back-off.
 */
function toSealdockError(err: unknown, what: string): SealdockError {
  if (isSealdockError(err)) return err;
  const status = statusOf(err);
  const name = nameOf(err);
  const msg = `${what}: ${name ? `${name}: ` : ''}${errorMessage(err)}`;
  const details = { s3Error: name || undefined, httpStatus: status };
  if (isNotFound(err)) return new SealdockError('NOT_FOUND', msg, details, { cause: err });
  if (['BadDigest', 'InvalidDigest', 'XAmzContentSHA256Mismatch', 'XAmzContentChecksumMismatch'].includes(name)) {
    return new SealdockError('VERIFY_FAILED', `${msg} (the bytes sent do not match the SHA-256 we claimed)`, details, {
      cause: err,
    });
  }
  if (status === 416 || name === 'InvalidRange') {
    return new SealdockError('RANGE_NOT_SATISFIABLE', msg, details, { cause: err });
  }
  if (status === 401 || status === 403) {
    return new SealdockError('ARCHIVE_NOT_READY', `${msg} (check the credentials and bucket policy)`, details, {
      cause: err,
    });
  }
  if (status === undefined || status >= 500 || status === 429 || status === 408 || name === 'TimeoutError') {
    return new SealdockError('ARCHIVE_UNAVAILABLE', msg, details, { cause: err });
  }
  return new SealdockError('INTERNAL', msg, details, { cause: err });
}

/** Whole-object SHA-256 plus the per-part digests S3 combines into its composite checksum. */
async function digestSource(
  source: ObjectSource,
  partSize: number,
): Promise<{ sha256: string; size: number; parts: Buffer[] }> {
  const whole = createHash('sha256');
  const parts: Buffer[] = [];
  let part = createHash('sha256');
  let inPart = 0;
  let size = 0;
  const feed = (chunk: Buffer) => {
    whole.update(chunk);
    size += chunk.length;
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(partSize - inPart, chunk.length - off);
      part.update(chunk.subarray(off, off + n));
      inPart += n;
      off += n;
      if (inPart === partSize) {
        parts.push(part.digest());
        part = createHash('sha256');
        inPart = 0;
      }
    }
  };
  if ('bytes' in source) feed(source.bytes);
  else for await (const chunk of createReadStream(source.path, { highWaterMark: 4 * MiB })) feed(chunk as Buffer);
  if (inPart > 0 || parts.length === 0) parts.push(part.digest());
  return { sha256: whole.digest('hex'), size, parts };
}

/** Hashes every byte that streams through it: the whole object, in the upload's one pass. */
class WholeObjectTap extends Transform {
  private readonly hash = createHash('sha256');
  private size = 0;
  private ended = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.ended = true;
    cb();
  }

  result(): { sha256: string; size: number } {
    if (!this.ended) return { sha256: 'incomplete', size: this.size };
    return { sha256: this.hash.copy().digest('hex'), size: this.size };
  }
}

function compositeOf(parts: Buffer[]): string {
  return `${createHash('sha256').update(Buffer.concat(parts)).digest('base64')}-${parts.length}`;
}

export class S3Archive implements ArchiveBackend {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  readonly bucket: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly verifyMode: 'checksum' | 'readback';
  private readonly staleUploadMs: number;
  private readonly known = new RecentMap<string, LocalDigest & { versionId?: string | undefined }>(COMPOSITE_CACHE_MAX);
  private readonly keyLocks = new Map<string, Promise<unknown>>();
  private readonly liveUploads = new Set<string>();
  /** Part digests of uploads in progress, by key (one upload per key at a time: see put). */
  private readonly partTables = new Map<string, Buffer[]>();
  /** Throws unless the bytes streamed for an upload in progress hash to the claimed SHA-256. */
  private readonly wholeChecks = new Map<string, () => void>();
  private swept = false;

  constructor(config: S3ArchiveConfig) {
    const partSizeMiB = config.partSizeMiB ?? 16;
    if (!(partSizeMiB >= 5 && partSizeMiB <= 5120)) {
      throw new SealdockError(
        'CONFIG_INVALID',
        `archive.s3.partSizeMiB must be 5..5120 (S3 limits), got ${partSizeMiB}`,
      );
    }
    this.partSize = Math.floor(partSizeMiB * MiB);
    this.queueSize = Math.max(1, Math.floor(config.queueSize ?? 2));
    this.verifyMode = config.verify ?? 'checksum';
    this.staleUploadMs = config.staleUploadMs ?? 3_600_000;
    this.bucket = config.bucket;
    const requestTimeout = config.requestTimeoutMs ?? 120_000;
    this.client = new S3Client({
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      // The SDK's default CRC32 breaks S3-compatible servers; we send SHA-256 explicitly instead.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: config.maxAttempts ?? 3,
      // Options object rather than `new NodeHttpHandler`: @smithy/node-http-handler is not our dependency.
      requestHandler: { requestTimeout, connectionTimeout: Math.min(requestTimeout, 10_000) },
    });
    this.installDigestMiddleware();
  }

  /**
   * Every byte is hashed once, as it is sent: the whole-object SHA-256 by a tap on the upload's
   * body stream (checked against the intake hash before the upload is completed), and each part's
   * SHA-256 here, from the part buffer lib-storage is about to send. Handing that digest to the
   * SDK spares it a second hash of the part (`x-amz-checksum-sha256`) and a third for the SigV4
   * payload hash: on a 2-core box shared with the S3 server that CPU matters. The server checks
   * each part against OUR digest, so bytes that changed in flight are refused (BadDigest).
   */
  private installDigestMiddleware(): void {
    type Input = { Key?: string; PartNumber?: number; ChecksumSHA256?: string; Body?: unknown };
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Input;
        if (context.commandName === 'UploadPartCommand' && input.Key && input.PartNumber && !input.ChecksumSHA256) {
          const table = this.partTables.get(input.Key);
          if (table && input.Body instanceof Uint8Array) {
            const digest = createHash('sha256').update(input.Body).digest();
            table[input.PartNumber - 1] = digest;
            return next({
              ...args,
              input: { ...input, ChecksumSHA256: digest.toString('base64') } as typeof args.input,
            });
          }
        }
        if (context.commandName === 'CompleteMultipartUploadCommand' && input.Key) {
          // The last gate before the object exists (and is locked for years): the bytes sent must
          // be the bytes the intake hashed.
          this.wholeChecks.get(input.Key)?.();
        }
        return next(args);
      },
      { step: 'initialize', name: 'sealdockPartDigests' },
    );
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Input;
        const request = args.request as { headers?: Record<string, string> } | undefined;
        if (
          (context.commandName === 'UploadPartCommand' || context.commandName === 'PutObjectCommand') &&
          input.ChecksumSHA256 &&
          request?.headers
        ) {
          // The body is bound by the SIGNED x-amz-checksum-sha256 header, which the server checks; a
          // signed payload hash too would make the server hash every byte twice (measured on MinIO).
          request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
        }
        return next(args);
      },
      { step: 'build', name: 'sealdockPayloadHash' },
    );
  }

  async checkReady(): Promise<void> {
    const b = JSON.stringify(this.bucket);
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if (isNotFound(err)) {
        throw new SealdockError(
          'ARCHIVE_NOT_READY',
          `bucket ${b} does not exist: create it with Object Lock enabled ` +
            `(aws s3api create-bucket --bucket ${this.bucket} --object-lock-enabled-for-bucket)`,
        );
      }
      throw toSealdockError(err, `bucket ${b} is not reachable`);
    }
    let lockEnabled = false;
    try {
      const lock = await this.client.send(new GetObjectLockConfigurationCommand({ Bucket: this.bucket }));
      lockEnabled = lock.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled';
    } catch (err) {
      const e = toSealdockError(err, 'GetObjectLockConfiguration');
      if (e.code === 'ARCHIVE_UNAVAILABLE') throw e;
    }
    if (!lockEnabled) {
      throw new SealdockError(
        'ARCHIVE_NOT_READY',
        `bucket ${b} has no Object Lock, so archived footage could be deleted or overwritten. ` +
          `Object Lock cannot be turned on for an existing bucket here: create a new bucket with ` +
          `--object-lock-enabled-for-bucket (aws s3api create-bucket … / mc mb --with-lock), ` +
          `which also enables versioning, and set archive.s3.bucket to it.`,
        { bucket: this.bucket },
      );
    }
    try {
      const v = await this.client.send(new GetBucketVersioningCommand({ Bucket: this.bucket }));
      if (v.Status !== 'Enabled') {
        throw new SealdockError(
          'ARCHIVE_NOT_READY',
          `bucket ${b} has versioning ${v.Status ?? 'never enabled'}; Object Lock requires it Enabled ` +
            `(aws s3api put-bucket-versioning --bucket ${this.bucket} --versioning-configuration Status=Enabled)`,
          { bucket: this.bucket },
        );
      }
    } catch (err) {
      throw toSealdockError(err, 'GetBucketVersioning');
    }
    // Once per process: leftovers of uploads interrupted by a crash cost storage and are never completed.
    if (!this.swept) {
      this.swept = true;
      await this.abortStaleUploads('', new Date(Date.now() - this.staleUploadMs)).catch(() => undefined);
    }
  }

  /** Aborts incomplete multipart uploads under `prefix` started before `olderThan` (not our live ones). */
  async abortStaleUploads(prefix: string, olderThan: Date, exactKey?: string): Promise<number> {
    let aborted = 0;
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker, UploadIdMarker }),
        );
        for (const u of page.Uploads ?? []) {
          if (!u.Key || !u.UploadId || this.liveUploads.has(u.UploadId)) continue;
          if (exactKey !== undefined && u.Key !== exactKey) continue;
          if (u.Initiated && u.Initiated.getTime() >= olderThan.getTime()) continue;
          await this.client.send(
            new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.Key, UploadId: u.UploadId }),
          );
          aborted++;
        }
        if (!page.IsTruncated) break;
        KeyMarker = page.NextKeyMarker;
        UploadIdMarker = page.NextUploadIdMarker;
        if (!KeyMarker && !UploadIdMarker) break;
      }
    } catch (err) {
      throw toSealdockError(err, `ListMultipartUploads ${JSON.stringify(prefix)}`);
    }
    return aborted;
  }

  async put(key: string, source: ObjectSource, opts: PutOptions): Promise<StoredObject> {
    assertSafeKey(key);
    await this.lockEnforced();
    // One writer per key in this process; the HeadObject check below is not atomic on its own.
    const prev = this.keyLocks.get(key) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => this.putLocked(key, source, opts));
    const tail = run.catch(() => undefined);
    this.keyLocks.set(key, tail);
    void tail.then(() => {
      if (this.keyLocks.get(key) === tail) this.keyLocks.delete(key);
    });
    return run;
  }

  private async putLocked(key: string, source: ObjectSource, opts: PutOptions): Promise<StoredObject> {
    const sha256 = opts.sha256.toLowerCase();
    if (!HEX64.test(sha256)) throw new SealdockError('BAD_INPUT', `put ${key}: sha256 must be 64 hex digits`);
    if (!(opts.retainUntil instanceof Date) || Number.isNaN(opts.retainUntil.getTime())) {
      throw new SealdockError('BAD_INPUT', `put ${key}: retainUntil is not a valid date`);
    }
    const size = 'bytes' in source ? source.bytes.length : (await stat(source.path)).size;
    if (size !== opts.size) {
      throw new SealdockError('VERIFY_FAILED', `put ${key}: source has ${size} bytes, expected ${opts.size}`);
    }

    const existing = await this.headRaw(key);
    if (existing) return this.samePut(key, existing, sha256, opts, source);

    // A wrong claim must fail BEFORE anything is locked for 6 months. No extra pass over the file
    // for that: a single PUT carries our SHA-256 and the server refuses other bytes (BadDigest);
    // a multipart upload is hashed as it streams and not completed unless the hash is ours.
    const common = {
      Bucket: this.bucket,
      Key: key,
      ContentType: opts.contentType,
      ChecksumAlgorithm: 'SHA256' as const,
      ObjectLockMode: 'COMPLIANCE' as const,
      ObjectLockRetainUntilDate: opts.retainUntil,
      ...(opts.legalHold ? { ObjectLockLegalHoldStatus: 'ON' as const } : {}),
      Metadata: {
        [META_SHA256]: sha256,
        [META_PART_SIZE]: String(this.partSize),
        [META_RETAIN_UNTIL]: opts.retainUntil.toISOString(),
      },
      // Conditional write: if another writer got there between our HEAD and now, fail instead of
      // stacking a second version.
      IfNoneMatch: '*',
    };

    if (size <= this.partSize) {
      const full = hexToBase64(sha256);
      const body = 'bytes' in source ? source.bytes : await readFile(source.path);
      try {
        const out = await this.client.send(
          new PutObjectCommand({ ...common, Body: body, ContentLength: size, ChecksumSHA256: full }),
        );
        this.known.set(key, { sha256, size, checksum: full, versionId: out.VersionId });
        return {
          key,
          size,
          sha256,
          versionId: out.VersionId,
          backendChecksum: out.ChecksumSHA256 ?? full,
          alreadyPresent: false,
        };
      } catch (err) {
        return this.afterFailedWrite(key, err, sha256, opts, source);
      }
    }

    // A previous attempt for this key (killed process, outage) may have left an upload behind.
    await this.abortStaleUploads(key, new Date(Date.now() + 60_000), key).catch(() => undefined);
    const tap = new WholeObjectTap();
    const upload = new Upload({
      client: this.client,
      params: {
        ...common,
        Body: ('bytes' in source
          ? Readable.from([source.bytes])
          : createReadStream(source.path, { highWaterMark: MiB })
        ).pipe(tap),
        ContentLength: size,
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    let uploadId: string | undefined;
    const parts: Buffer[] = [];
    this.partTables.set(key, parts);
    this.wholeChecks.set(key, () => {
      const sent = tap.result();
      if (sent.sha256 !== sha256 || sent.size !== size) {
        throw new SealdockError(
          'VERIFY_FAILED',
          `put ${key}: the bytes sent hash to ${sent.sha256} (${sent.size} bytes), not the expected ${sha256}; upload not completed`,
        );
      }
    });
    const track = setInterval(() => {
      if (upload.uploadId && !uploadId) {
        uploadId = upload.uploadId;
        this.liveUploads.add(uploadId);
      }
    }, 50);
    try {
      const out = await upload.done();
      const composite =
        parts.length === Math.ceil(size / this.partSize) && Array.from(parts).every(Boolean)
          ? compositeOf(parts)
          : undefined;
      const got = out.ChecksumSHA256;
      if (got && composite && got !== composite) {
        // The file changed while being sent: the server holds other bytes than we hashed.
        throw new SealdockError(
          'VERIFY_FAILED',
          `put ${key}: server composite checksum ${got} differs from local ${composite}; the source changed during upload`,
        );
      }
      if (composite) this.known.set(key, { sha256, size, checksum: composite, versionId: out.VersionId });
      return { key, size, sha256, versionId: out.VersionId, backendChecksum: got ?? composite, alreadyPresent: false };
    } catch (err) {
      const id = uploadId ?? upload.uploadId;
      if (id) {
        // lib-storage tries to abort too, but not when the server was down at that moment.
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: id }))
          .catch(() => undefined);
      }
      return this.afterFailedWrite(key, err, sha256, opts, source);
    } finally {
      clearInterval(track);
      this.partTables.delete(key);
      this.wholeChecks.delete(key);
      if (uploadId) this.liveUploads.delete(uploadId);
    }
  }

  /** A 412 means someone wrote the key after our HEAD: decide as if we had seen it then. */
  private async afterFailedWrite(
    key: string,
    err: unknown,
    sha256: string,
    opts: PutOptions,
    source: ObjectSource,
  ): Promise<StoredObject> {
    if (statusOf(err) === 412 || nameOf(err) === 'PreconditionFailed') {
      const now = await this.headRaw(key);
      if (now) return this.samePut(key, now, sha256, opts, source);
    }
    throw toSealdockError(err, `put ${key}`);
  }

  private async samePut(
    key: string,
    head: HeadObjectCommandOutput,
    sha256: string,
    opts: PutOptions,
    source: ObjectSource,
  ): Promise<StoredObject> {
    const theirSha = head.Metadata?.[META_SHA256]?.toLowerCase();
    const theirChecksum = head.ChecksumSHA256;
    const fullMatches =
      theirChecksum === undefined || theirChecksum.includes('-') || theirChecksum === hexToBase64(sha256);
    if (head.ContentLength !== opts.size || theirSha !== sha256 || !fullMatches) {
      throw new SealdockError(
        'ARCHIVE_CONFLICT',
        `archive key ${key} already holds different content (${head.ContentLength} bytes, sha256 ${theirSha ?? 'unknown'}); ` +
          `refusing to write ${opts.size} bytes with sha256 ${sha256}`,
        { key, existingSize: head.ContentLength, existingSha256: theirSha, versionId: head.VersionId },
      );
    }
    if (theirChecksum?.includes('-')) {
      // Metadata is only a claim: prove the stored multipart object is our bytes by recomputing its
      // composite checksum from our source, with the part size it was uploaded with.
      const partSize = Number(head.Metadata?.[META_PART_SIZE]);
      if (Number.isInteger(partSize) && partSize >= 5 * MiB) {
        const d = await digestSource(source, partSize);
        if (d.sha256 !== sha256 || d.size !== opts.size) {
          throw new SealdockError(
            'VERIFY_FAILED',
            `put ${key}: content hashes to ${d.sha256}, not the expected ${sha256}`,
          );
        }
        const local = compositeOf(d.parts);
        if (local !== theirChecksum) {
          throw new SealdockError(
            'ARCHIVE_CONFLICT',
            `archive key ${key} claims sha256 ${sha256} but its composite checksum ${theirChecksum} is not ours (${local})`,
            { key, versionId: head.VersionId },
          );
        }
        this.known.set(key, { sha256, size: opts.size, checksum: local, versionId: head.VersionId });
      }
    }
    // Idempotent re-put after a crash: bring retention and hold up to what was asked, never down.
    if (!head.ObjectLockRetainUntilDate || head.ObjectLockRetainUntilDate.getTime() < opts.retainUntil.getTime()) {
      await this.extendRetention(key, opts.retainUntil);
    }
    if (opts.legalHold && head.ObjectLockLegalHoldStatus !== 'ON') await this.setLegalHold(key, true);
    return {
      key,
      size: opts.size,
      sha256,
      versionId: head.VersionId,
      backendChecksum: theirChecksum,
      alreadyPresent: true,
    };
  }

  private async headRaw(key: string, versionId?: string): Promise<HeadObjectCommandOutput | null> {
    try {
      return await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId, ChecksumMode: 'ENABLED' }),
      );
    } catch (err) {
      if (isNotFound(err)) return null;
      throw toSealdockError(err, `HeadObject ${key}`);
    }
  }

  async verify(
    key: string,
    expected: { sha256: string; size: number; retainUntil?: Date | undefined },
  ): Promise<VerifyResult> {
    assertSafeKey(key);
    const sha256 = expected.sha256.toLowerCase();
    const head = await this.headRaw(key);
    const fail = (
      method: VerifyResult['method'],
      problem: string,
      extra: Partial<VerifyResult> = {},
    ): VerifyResult => ({
      ok: false,
      key,
      method,
      problem,
      size: head?.ContentLength,
      ...extra,
    });
    if (!head) return fail('checksum', 'object is missing from the archive');
    if (head.ContentLength !== expected.size) {
      return fail('checksum', `size is ${head.ContentLength}, expected ${expected.size}`);
    }
    if (head.ObjectLockMode !== 'COMPLIANCE') {
      return fail('checksum', `object lock mode is ${head.ObjectLockMode ?? 'none'}, expected COMPLIANCE`);
    }
    const until = head.ObjectLockRetainUntilDate;
    const recorded = head.Metadata?.[META_RETAIN_UNTIL] ? new Date(head.Metadata[META_RETAIN_UNTIL]) : undefined;
    const minUntil = expected.retainUntil ?? recorded;
    if (!until || (minUntil && !Number.isNaN(minUntil.getTime()) && until.getTime() < minUntil.getTime())) {
      return fail(
        'checksum',
        `retain-until is ${until?.toISOString() ?? 'unset'}, expected ≥ ${minUntil?.toISOString() ?? 'a date'}`,
      );
    }

    const server = head.ChecksumSHA256;
    if (this.verifyMode === 'checksum' && server) {
      if (!server.includes('-')) {
        // A full-object SHA-256 that the server checked on PUT: compares to ours directly.
        return server === hexToBase64(sha256)
          ? { ok: true, key, method: 'checksum', actualSha256: sha256, size: head.ContentLength }
          : fail('checksum', `server SHA-256 ${server} is not ${hexToBase64(sha256)} (sha256 ${sha256})`);
      }
      const mine = this.known.get(key);
      if (mine && mine.sha256 === sha256 && mine.size === expected.size) {
        return server === mine.checksum
          ? { ok: true, key, method: 'checksum', actualSha256: sha256, size: head.ContentLength }
          : fail('checksum', `server composite checksum ${server} is not the local ${mine.checksum}`);
      }
      // Composite checksum but we no longer have the part digests: fall through to a read-back.
    }
    return this.readBack(key, head, sha256, expected.size);
  }

  private async readBack(
    key: string,
    head: HeadObjectCommandOutput,
    sha256: string,
    size: number,
  ): Promise<VerifyResult> {
    const hash = createHash('sha256');
    let n = 0;
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: head.VersionId }),
      );
      for await (const chunk of out.Body as Readable) {
        hash.update(chunk as Buffer);
        n += (chunk as Buffer).length;
      }
    } catch (err) {
      throw toSealdockError(err, `read-back ${key}`);
    }
    const actual = hash.digest('hex');
    const ok = actual === sha256 && n === size;
    return {
      ok,
      key,
      method: 'rehash',
      actualSha256: actual,
      size: n,
      ...(ok ? {} : { problem: `read back ${n} bytes with sha256 ${actual}, expected ${size} bytes ${sha256}` }),
    };
  }

  async head(key: string, versionId?: string): Promise<ObjectInfo | null> {
    assertSafeKey(key);
    const h = await this.headRaw(key, versionId);
    if (!h) return null;
    return {
      key,
      size: h.ContentLength ?? 0,
      versionId: h.VersionId,
      retainUntil: h.ObjectLockRetainUntilDate,
      lockMode: h.ObjectLockMode,
      legalHold: h.ObjectLockLegalHoldStatus === 'ON',
      etag: h.ETag,
      lastModified: h.LastModified,
      checksumSha256: h.ChecksumSHA256,
      identity: `version:${h.VersionId ?? 'null'}`,
    };
  }

  async read(key: string, range?: ByteRange, versionId?: string): Promise<Readable> {
    assertSafeKey(key);
    if (
      range &&
      !(Number.isInteger(range.start) && Number.isInteger(range.end) && range.start >= 0 && range.end >= range.start)
    ) {
      throw new SealdockError('BAD_INPUT', `bad byte range ${JSON.stringify(range)}`);
    }
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(versionId ? { VersionId: versionId } : {}),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return out.Body as Readable;
    } catch (err) {
      throw toSealdockError(err, `GetObject ${key}`);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    if (/[\u0000]/.test(prefix) || prefix.split('/').some((p) => p === '..' || p === '.')) {
      throw new SealdockError('BAD_INPUT', `unsafe prefix ${JSON.stringify(prefix)}`);
    }
    let ContinuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken }),
        );
      } catch (err) {
        throw toSealdockError(err, `ListObjectsV2 ${JSON.stringify(prefix)}`);
      }
      for (const o of page.Contents ?? []) if (o.Key) yield o.Key;
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async *versions(prefix: string): AsyncIterable<ObjectVersion> {
    if (/[\u0000]/.test(prefix) || prefix.split('/').some((p) => p === '..' || p === '.')) {
      throw new SealdockError('BAD_INPUT', `unsafe prefix ${JSON.stringify(prefix)}`);
    }
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker, VersionIdMarker }),
        );
      } catch (err) {
        throw toSealdockError(err, `ListObjectVersions ${JSON.stringify(prefix)}`);
      }
      const found: ObjectVersion[] = [
        ...(page.Versions ?? []).map((v) => ({
          key: v.Key ?? '',
          versionId: v.VersionId,
          deleteMarker: false,
          isLatest: v.IsLatest === true,
          size: v.Size,
          lastModified: v.LastModified,
        })),
        ...(page.DeleteMarkers ?? []).map((m) => ({
          key: m.Key ?? '',
          versionId: m.VersionId,
          deleteMarker: true,
          isLatest: m.IsLatest === true,
          lastModified: m.LastModified,
        })),
      ];
      found.sort((a, b) =>
        a.key === b.key
          ? (b.lastModified?.getTime() ?? 0) - (a.lastModified?.getTime() ?? 0)
          : Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)),
      );
      yield* found.filter((v) => v.key !== '');
      const more = page.IsTruncated === true;
      KeyMarker = more ? page.NextKeyMarker : undefined;
      VersionIdMarker = more ? page.NextVersionIdMarker : undefined;
    } while (KeyMarker);
  }

  private lastLockTest: LockSelfTest | null = null;
  private lockTestRun: Promise<LockSelfTest> | null = null;

  lockStatus(): LockSelfTest | null {
    return this.lastLockTest;
  }

  /** Nothing is archived to a store whose lock has not been seen to hold in this process. */
  private async lockEnforced(): Promise<void> {
    const status = this.lastLockTest ?? (await this.selfTestLock());
    if (!status.ok) {
      throw new SealdockError(
        'ARCHIVE_NOT_READY',
        `refusing to archive to bucket ${JSON.stringify(this.bucket)}: its Object Lock self-test failed at ${status.checkedAt}: ${status.problem}`,
        { bucket: this.bucket, lockSelfTest: status },
      );
    }
  }

  /**
   * Some S3-compatible stores accept Object Lock headers and do not enforce them. So: write a tiny
   * canary under `sealdock-canary/` with a 1-day COMPLIANCE lock, read its lock back, then try to
   * shorten its retention and to delete that version. Both must be refused. Least-privilege
   * credentials may be refused the delete by policy (no s3:DeleteObjectVersion) rather than by the
   * lock; the shortening needs s3:PutObjectRetention, which the daemon has, so only the lock can
   * refuse it. An unreachable store is an outage (thrown, not recorded as a failed test).
   */
  selfTestLock(): Promise<LockSelfTest> {
    this.lockTestRun ??= this.runLockTest().finally(() => {
      this.lockTestRun = null;
    });
    return this.lockTestRun;
  }

  private async runLockTest(): Promise<LockSelfTest> {
    const checkedAt = new Date();
    const key = `sealdock-canary/${checkedAt.toISOString().replace(/[:.]/g, '')}-${Math.random().toString(16).slice(2, 10)}`;
    const body = Buffer.from(`sealdock Object Lock canary ${checkedAt.toISOString()}\n`);
    const until = new Date(checkedAt.getTime() + 86_400_000);
    const steps: string[] = [];
    const result = (problem?: string, versionId?: string): LockSelfTest => {
      this.lastLockTest = {
        ok: problem === undefined,
        checkedAt: checkedAt.toISOString(),
        ...(problem ? { problem } : {}),
        canary: { key, versionId },
        steps,
      };
      return this.lastLockTest;
    };
    const outage = (err: unknown, what: string) => {
      const e = toSealdockError(err, what);
      if (e.code === 'ARCHIVE_UNAVAILABLE') throw e;
      return e;
    };
    let versionId: string | undefined;
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ChecksumAlgorithm: 'SHA256',
          ChecksumSHA256: createHash('sha256').update(body).digest('base64'),
          ObjectLockMode: 'COMPLIANCE',
          ObjectLockRetainUntilDate: until,
          IfNoneMatch: '*',
        }),
      );
      versionId = out.VersionId;
      steps.push(`put ${key} with COMPLIANCE until ${until.toISOString()}: version ${versionId ?? '(none)'}`);
    } catch (err) {
      const e = outage(err, `lock self-test: PutObject ${key}`);
      steps.push(`put refused: ${e.message}`);
      return result(`the store refused a COMPLIANCE-locked write: ${e.message}`);
    }
    if (!versionId) return result('the store returned no version id for a locked write: versioning is not in effect');
    const head = await this.headRaw(key, versionId).catch((err: unknown) => {
      throw outage(err, `lock self-test: HeadObject ${key}`);
    });
    steps.push(
      `head: lock ${head?.ObjectLockMode ?? 'none'} until ${head?.ObjectLockRetainUntilDate?.toISOString() ?? 'unset'}`,
    );
    if (head?.ObjectLockMode !== 'COMPLIANCE' || !head.ObjectLockRetainUntilDate) {
      return result('the store accepted the lock headers but reports no COMPLIANCE lock on the canary', versionId);
    }
    try {
      await this.client.send(
        new PutObjectRetentionCommand({
          Bucket: this.bucket,
          Key: key,
          VersionId: versionId,
          Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(Date.now() + 1000) },
        }),
      );
      steps.push('shorten retention to 1 s: ALLOWED');
      return result(
        'the store let a COMPLIANCE retention be shortened (the canary locked for a day could be deleted in a second): it does not enforce Object Lock',
        versionId,
      );
    } catch (err) {
      steps.push(`shorten retention: refused (${outage(err, 'lock self-test: shorten').message})`);
    }
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
      steps.push('delete the locked version: ALLOWED');
      return result('the store let a COMPLIANCE-locked version be deleted: it does not enforce Object Lock', versionId);
    } catch (err) {
      steps.push(`delete the locked version: refused (${outage(err, 'lock self-test: delete').message})`);
    }
    return result(undefined, versionId);
  }

  async setLegalHold(key: string, on: boolean): Promise<void> {
    assertSafeKey(key);
    try {
      await this.client.send(
        new PutObjectLegalHoldCommand({ Bucket: this.bucket, Key: key, LegalHold: { Status: on ? 'ON' : 'OFF' } }),
      );
    } catch (err) {
      throw toSealdockError(err, `PutObjectLegalHold ${key}`);
    }
  }

  async extendRetention(key: string, until: Date): Promise<void> {
    assertSafeKey(key);
    if (Number.isNaN(until.getTime())) throw new SealdockError('BAD_INPUT', `extendRetention ${key}: invalid date`);
    try {
      const cur = await this.client
        .send(new GetObjectRetentionCommand({ Bucket: this.bucket, Key: key }))
        .catch((err: unknown) => {
          // An object written without retention (not by us) has none to compare with.
          if (nameOf(err) === 'NoSuchObjectLockConfiguration') return undefined;
          throw err;
        });
      const current = cur?.Retention?.RetainUntilDate;
      if (current && current.getTime() >= until.getTime()) return; // never shortens
      await this.client.send(
        new PutObjectRetentionCommand({
          Bucket: this.bucket,
          Key: key,
          Retention: { Mode: 'COMPLIANCE', RetainUntilDate: until },
        }),
      );
    } catch (err) {
      throw toSealdockError(err, `extendRetention ${key}`);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
