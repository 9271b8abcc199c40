// Intake: a stable dock file (or a pushed upload) becomes a catalogued original in the spool.
// Order matters for crash safety: spool file durable → catalog row committed → only then may
// anything downstream (and eventually the dock's release) happen.
import type { AuditEntry } from '../audit/chain.js';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { archiveKeys, evidenceIdFor, originalObjectName } from '../archive/keys.js';
import type { EvidenceRecord, EvidenceRepo, SidecarRecord } from '../catalog/evidence-repo.js';
import type { Config, DockConfig } from '../config/schema.js';
import { resolveElements } from '../elements/resolve.js';
import { describeRejected, parseSidecar } from '../elements/sidecar.js';
import type { Elements } from '../elements/types.js';
import { SealdockError } from '../errors.js';
import { metrics } from '../metrics.js';
import { readFdChunks } from '../util/durable-copy.js';
import { displayName, exactNameOf } from '../util/file-names.js';
import { sha256Hex } from '../util/hash.js';
import { sidecarNameFor } from './sidecar-names.js';
import type { Spool, SpooledTemp } from './spool.js';

export const DAEMON_ACTOR = 'sealdock';

export interface DockFileCandidate {
  dock: DockConfig;
  /** dock-relative path, its raw bytes with / separators (a name need not be UTF-8) */
  relPath: Buffer;
  absPath: Buffer;
  deviceId: string | null;
  /** size and mtime as observed stable by the dock watcher */
  size: number;
  mtimeMs: number;
}

export type IntakeResult =
  | { kind: 'new'; evidence: EvidenceRecord }
  | { kind: 'redock'; evidenceId: string }
  | { kind: 'known'; evidenceId: string }
  /** The file moved under us (still being written, replaced): try again once it is stable. */
  | { kind: 'changed'; reason: string };

interface Admission {
  dock: DockConfig;
  /** raw bytes of the dock-relative path (`push/<name>` for uploads) and of the file name */
  relPath: Buffer;
  nameBytes: Buffer;
  deviceId: string | null;
  mtimeMs: number;
  ino: number | null;
  ctimeMs: number | null;
  sidecar: SidecarRecord | null;
}

export class IntakeService {
  constructor(
    private readonly deps: {
      repo: EvidenceRepo;
      spool: Spool;
      config: Config;
      log: Logger;
    },
  ) {}

  async ingestDockFile(c: DockFileCandidate): Promise<IntakeResult> {
    const { repo, spool, config } = this.deps;

    // O_NOFOLLOW: a symbolic link planted on a dock is never followed; O_NONBLOCK: a FIFO cannot hang us.
    const fh = await fsp.open(c.absPath, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    let temp: SpooledTemp | null = null;
    let identity: { ino: number; ctimeMs: number };
    let sidecar: SidecarRecord | null;
    try {
      const before = await fh.stat();
      identity = { ino: before.ino, ctimeMs: before.ctimeMs };
      const known = repo.dockFiles.find(c.dock.id, exactNameOf(c.relPath), c.size, c.mtimeMs, identity);
      if (known) return { kind: 'known', evidenceId: known.evidenceId };
      if (!before.isFile()) throw new SealdockError('BAD_INPUT', `${displayName(c.relPath)} is not a regular file`);
      if (before.size !== c.size || before.mtimeMs !== c.mtimeMs)
        return { kind: 'changed', reason: 'changed since it was seen stable' };
      if (before.size > config.intake.maxFileBytes) {
        throw new SealdockError(
          'PAYLOAD_TOO_LARGE',
          `${displayName(c.relPath)} is ${before.size} bytes; the intake limit is ${config.intake.maxFileBytes}`,
        );
      }
      temp = await spool.receive(readFdChunks(fh.fd), config.intake.maxFileBytes);
      // Re-check after copying: a slow (e.g. SMB) copy can pause longer than the quiet period.
      const after = await fh.stat();
      const named = await fsp.lstat(c.absPath).catch(() => null);
      if (
        after.size !== temp.size ||
        after.mtimeMs !== before.mtimeMs ||
        after.ctimeMs !== before.ctimeMs ||
        !named ||
        named.ino !== before.ino
      ) {
        await spool.discard(temp);
        return { kind: 'changed', reason: 'changed while it was being copied' };
      }
      // Inside this block so that a sidecar that cannot be read discards the copy with it.
      sidecar = await this.readSidecar(c);
    } catch (err) {
      if (temp) await spool.discard(temp);
      throw err;
    } finally {
      await fh.close();
    }
    return this.admit(temp, {
      dock: c.dock,
      relPath: c.relPath,
      nameBytes: baseNameOf(c.relPath),
      deviceId: c.deviceId,
      mtimeMs: c.mtimeMs,
      ...identity,
      sidecar,
    });
  }

  /** A pushed upload (PUT /docks/{id}/files/{name}): same intake, the stream instead of a file. */
  async ingestStream(
    dock: DockConfig,
    /** the name's raw bytes, as percent-decoded from the URL */
    name: Buffer,
    body: Readable,
    opts: {
      expectedSha256?: string | undefined;
      deviceId?: string | null;
      sidecar?: Elements | undefined;
      /** asked once the body is spooled, before anything is catalogued: false keeps nothing */
      beforeCommit?: () => Promise<boolean>;
    },
  ): Promise<IntakeResult> {
    const temp = await this.deps.spool.receive(body, this.deps.config.intake.maxFileBytes);
    if (temp.size === 0) {
      await this.deps.spool.discard(temp);
      throw new SealdockError('BAD_INPUT', 'the request body (the file) is empty; nothing was kept');
    }
    if (opts.beforeCommit && !(await opts.beforeCommit())) {
      await this.deps.spool.discard(temp);
      throw new SealdockError('BAD_INPUT', 'the request body did not match its framing; nothing was kept');
    }
    if (opts.expectedSha256 && opts.expectedSha256.toLowerCase() !== temp.sha256) {
      await this.deps.spool.discard(temp);
      throw new SealdockError(
        'DIGEST_MISMATCH',
        `x-content-sha256 was ${opts.expectedSha256} but the body hashes to ${temp.sha256}; nothing was kept`,
      );
    }
    return this.admit(temp, {
      dock,
      relPath: Buffer.concat([Buffer.from(PUSH_PREFIX), name]),
      nameBytes: name,
      deviceId: opts.deviceId ?? null,
      mtimeMs: Date.now(),
      ino: null,
      ctimeMs: null,
      sidecar: opts.sidecar ? { name: 'request', elements: opts.sidecar } : null,
    });
  }

  private readSidecar(c: DockFileCandidate): Promise<SidecarRecord | null> {
    return readSidecarFile(sidecarNameFor(c.absPath), this.deps.config);
  }

  private async admit(temp: SpooledTemp, a: Admission): Promise<IntakeResult> {
    let result: IntakeResult;
    try {
      result = await this.catalogue(temp, a);
    } catch (err) {
      // A copy nobody catalogued is not left in spool/tmp until the next start. Once committed
      // the temp name is gone, and discarding it does nothing.
      await this.deps.spool.discard(temp);
      throw err;
    }
    metrics.intakeFiles.inc({ dock: a.dock.id, outcome: result.kind });
    if (result.kind === 'new') metrics.intakeBytes.inc({ dock: a.dock.id }, temp.size);
    return result;
  }

  private async catalogue(temp: SpooledTemp, a: Admission): Promise<IntakeResult> {
    const { repo, spool, log } = this.deps;
    const place = exactNameOf(a.relPath);
    const dockFile = {
      dockId: a.dock.id,
      relPath: place.value,
      relPathEncoding: place.encoding,
      size: temp.size,
      mtimeMs: a.mtimeMs,
      ino: a.ino,
      ctimeMs: a.ctimeMs,
      sha256: temp.sha256,
      deviceId: a.deviceId,
    };
    const existing = repo.findBySha256(temp.sha256);
    if (existing) {
      await spool.discard(temp);
      repo.recordRedock(existing.id, dockFile, DAEMON_ACTOR);
      log.info(
        { evidenceId: existing.id, dockId: a.dock.id, relPath: displayName(a.relPath) },
        're-docked copy of existing evidence',
      );
      return { kind: 'redock', evidenceId: existing.id };
    }
    const spoolPath = await spool.commitOriginal(temp);
    const resolved = resolveElements({
      sidecar: a.sidecar?.elements,
      dock: dockDefaults(a.dock),
    });
    const id = evidenceIdFor(temp.sha256);
    let evidence: EvidenceRecord;
    try {
      evidence = repo.insertReceived(
        {
          id,
          sha256: temp.sha256,
          size: temp.size,
          originalName: displayName(a.nameBytes),
          originalNameExact: exactNameOf(a.nameBytes),
          originalPath: place,
          originalKey: archiveKeys.original(id, originalObjectName(a.nameBytes)),
          dockId: a.dock.id,
          deviceId: a.deviceId,
          spoolPath,
          sidecar: a.sidecar,
          elements: resolved.elements,
          elementSources: resolved.sources,
          missing: resolved.missing,
        },
        dockFile,
        DAEMON_ACTOR,
      );
    } catch (err) {
      // Two intakes of the same content raced; the loser is a re-dock of the winner.
      if (
        (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' ||
        (err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
      ) {
        const winner = repo.findBySha256(temp.sha256);
        if (winner) {
          repo.recordRedock(winner.id, dockFile, DAEMON_ACTOR);
          return { kind: 'redock', evidenceId: winner.id };
        }
      }
      throw err;
    }
    if (a.sidecar?.problems) {
      repo.audit.append(sidecarRejectionAudit(id, a.sidecar));
      log.warn(
        { evidenceId: id, sidecar: a.sidecar.name, problems: a.sidecar.problems },
        a.sidecar.elements ? 'sidecar values refused; its other values applied' : 'sidecar rejected whole',
      );
    }
    log.info(
      { evidenceId: id, sha256: temp.sha256, size: temp.size, dockId: a.dock.id, relPath: displayName(a.relPath) },
      'received',
    );
    return { kind: 'new', evidence };
  }

  /** Free bytes on the spool's filesystem (for refusing an upload that would fill it). */
  async spoolFreeBytes(): Promise<number> {
    const st = await fsp.statfs(this.deps.spool.root);
    return st.bavail * st.bsize;
  }

  /** What a dock holds that is deliberately not taken: audited (the caller says each file+reason once). */
  recordNotTaken(dockId: string, relPath: Buffer, reason: string, explanation: string): void {
    this.deps.repo.audit.append({
      actor: DAEMON_ACTOR,
      action: 'dock-file-not-taken',
      evidenceId: null,
      details: { dockId, path: displayName(relPath), exactPath: exactNameOf(relPath), reason, explanation },
    });
  }
}

/** Dock-relative paths of pushed uploads start with this; nothing is ever released from there. */
export const PUSH_PREFIX = 'push/';

function baseNameOf(rel: Buffer): Buffer {
  return rel.subarray(rel.lastIndexOf(0x2f) + 1);
}

/** The audit row for a sidecar refused whole (`sidecar-rejected`) or value by value (`sidecar-values-rejected`). */
export function sidecarRejectionAudit(evidenceId: string, sidecar: SidecarRecord): AuditEntry {
  return {
    actor: DAEMON_ACTOR,
    action: sidecar.elements ? 'sidecar-values-rejected' : 'sidecar-rejected',
    evidenceId,
    details: {
      sidecar: sidecar.name,
      problems: sidecar.problems ?? [],
      ...(sidecar.rejected ? { rejected: sidecar.rejected, applied: Object.keys(sidecar.elements ?? {}) } : {}),
    },
  };
}

export function dockDefaults(dock: DockConfig): Elements {
  const out: Elements = {};
  if (dock.place) out.place = { text: dock.place };
  if (dock.purpose) out.purpose = dock.purpose;
  return out;
}

/** Reads and parses a sidecar (never following a link): its elements, or why it is rejected whole. */
export async function readSidecarFile(file: Buffer, config: Config): Promise<SidecarRecord | null> {
  const name = displayName(baseNameOf(file));
  const { intake, elements } = config;
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    return { name, problems: [`sidecar cannot be opened (${code ?? 'error'})`] };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { name, problems: ['sidecar is not a regular file'] };
    if (st.size > intake.sidecarMaxBytes)
      return { name, problems: [`sidecar is ${st.size} bytes; the limit is ${intake.sidecarMaxBytes}`] };
    const bytes = await fh.readFile();
    const parsed = parseSidecar(bytes, {
      maxBytes: intake.sidecarMaxBytes,
      caseNumberPattern: elements.caseNumberPattern,
    });
    const sha256 = sha256Hex(bytes);
    if (!parsed.ok) return { name, sha256, problems: parsed.problems };
    // Nothing valid in it: rejected whole, like a file that is not JSON.
    if (Object.keys(parsed.elements).length === 0 && parsed.rejected.length)
      return { name, sha256, problems: describeRejected(parsed.rejected), rejected: parsed.rejected };
    if (parsed.rejected.length === 0) return { name, sha256, elements: parsed.elements };
    return {
      name,
      sha256,
      elements: parsed.elements,
      rejected: parsed.rejected,
      problems: describeRejected(parsed.rejected),
    };
  } finally {
    await fh.close();
  }
}
