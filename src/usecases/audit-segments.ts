// Sealed audit segments: the rows appended since the last segment, as JSON Lines, sealed with the
// electronic seal and archived under Object Lock. Once archived, an edit of the SQLite file can
// no longer be covered up by recomputing the chain: the archived segment and its seal disagree.
import type { Logger } from 'pino';
import type { ArchiveBackend } from '../archive/archive.js';
import { readFirstVersion } from '../archive/pinned.js';
import { archiveKeys } from '../archive/keys.js';
import { retainUntil } from '../archive/retention.js';
import type { AuditLog } from '../catalog/audit-repo.js';
import type { AuditSegmentsRepo, SegmentRecord } from '../catalog/audit-segments-repo.js';
import type { EvidenceRepo } from '../catalog/evidence-repo.js';
import { errorMessage } from '../errors.js';
import type { SealVerifier } from '../seal/verifier.js';
import type { SealOutput } from '../seal/types.js';
import { canonicalJson } from '../util/canonical-json.js';
import { sha256Hex } from '../util/hash.js';
import { nowIso } from '../util/time.js';
import { auditRowHash, GENESIS_HASH, type AuditRow } from '../audit/chain.js';

export type { SegmentRecord } from '../catalog/audit-segments-repo.js';

// The seal signs in memory (node-forge): keep a segment comfortably small.
const MAX_SEGMENT_ROWS = 20_000;
const MAX_SEGMENT_BYTES = 8 * 1024 * 1024;

export interface SegmentDeps {
  repo: EvidenceRepo;
  archive: ArchiveBackend;
  seal: { seal(bytes: Buffer): Promise<SealOutput> };
  retentionDays: number;
  log?: Logger | undefined;
}

export function segmentName(firstSeq: number, lastSeq: number): string {
  return `${String(firstSeq).padStart(12, '0')}-${String(lastSeq).padStart(12, '0')}`;
}

/** One row as a line: canonical JSON of every field the hash covers, plus prev_hash and hash. */
export function segmentLine(r: AuditRow): string {
  return canonicalJson({
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    evidenceId: r.evidenceId,
    details: r.details,
    prev_hash: r.prevHash,
    hash: r.hash,
  });
}

/** Seals and archives every row not yet in a segment (several segments if there are many). */
export async function writeAuditSegments(deps: SegmentDeps): Promise<SegmentRecord[]> {
  const written: SegmentRecord[] = [];
  for (;;) {
    const last = deps.repo.auditSegments.lastSealedSeq();
    const rows = deps.repo.audit.list({ afterSeq: last, limit: MAX_SEGMENT_ROWS });
    if (rows.length === 0) return written;
    // Access rows and stage commits are readable a moment before their fsync returns
    // (AuditLog.appendDurable, repo.commitDurably): a sealed segment outlives the catalog, so it
    // waits until the rows just read are durable.
    await deps.repo.durable();
    const lines: string[] = [];
    let bytes = 0;
    for (const r of rows) {
      const line = `${segmentLine(r)}\n`;
      if (lines.length > 0 && bytes + Buffer.byteLength(line) > MAX_SEGMENT_BYTES) break;
      lines.push(line);
      bytes += Buffer.byteLength(line);
    }
    const first = rows[0]!;
    const lastRow = rows[lines.length - 1]!;
    const name = segmentName(first.seq, lastRow.seq);
    const body = Buffer.from(lines.join(''), 'utf8');
    const sealed = await deps.seal.seal(body);
    const until = retainUntil(new Date(), deps.retentionDays);
    const sha256 = sha256Hex(body);
    const put = async (key: string, b: Buffer, contentType: string) => {
      const stored = await deps.archive.put(
        key,
        { bytes: b },
        { sha256: sha256Hex(b), size: b.length, contentType, retainUntil: until, legalHold: false },
      );
      deps.repo.archiveObjects.record({
        key,
        evidenceId: null,
        kind: 'audit',
        sha256: sha256Hex(b),
        size: b.length,
        versionId: stored.versionId ?? null,
        backendChecksum: stored.backendChecksum ?? null,
        retainUntil: until.toISOString(),
        legalHold: false,
      });
    };
    await put(archiveKeys.auditSegment(name), body, 'application/jsonl');
    await put(archiveKeys.auditSignature(name), sealed.signature, 'application/pkcs7-signature');
    if (sealed.timestampToken)
      await put(`${archiveKeys.auditSegment(name)}.tsr`, sealed.timestampToken, 'application/timestamp-reply');
    const rec: SegmentRecord = {
      name,
      firstSeq: first.seq,
      lastSeq: lastRow.seq,
      lastHash: lastRow.hash,
      sha256,
      archivedAt: nowIso(),
    };
    deps.repo.auditSegments.record(rec);
    deps.log?.info({ segment: name, rows: lines.length, bytes: body.length }, 'audit segment sealed and archived');
    written.push(rec);
  }
}

export interface SealCadence {
  /** Seal once the oldest unsealed row is this old. */
  intervalMs: number;
  /** Seal as soon as this many rows are unsealed. */
  maxRows: number;
}

/** Whether the unsealed tail must be sealed now (pure). */
export function tailDue(
  tail: { rows: number; oldestAt: string | undefined },
  cadence: SealCadence,
  now = Date.now(),
): boolean {
  if (tail.rows === 0 || tail.oldestAt === undefined) return false;
  return tail.rows >= cadence.maxRows || now - Date.parse(tail.oldestAt) >= cadence.intervalMs;
}

/** The rows not yet in a sealed segment: how many, and since when. */
export function unsealedTail(repo: EvidenceRepo): { rows: number; firstSeq: number | null; since: string | null } {
  const sealed = repo.auditSegments.lastSealedSeq();
  const first = repo.audit.firstAfter(sealed);
  const newest = repo.audit.newest();
  if (!first || !newest) return { rows: 0, firstSeq: null, since: null };
  return { rows: newest.seq - sealed, firstSeq: first.seq, since: first.at };
}

/**
 * Seals the unsealed tail whenever it is due (checked every second, or every intervalMs when that
 * is shorter), and once more at stop; one run at a time.
 */
export function startSegmentTimer(
  deps: SegmentDeps,
  cadence: SealCadence,
): { flush(): Promise<void>; stop(): Promise<void> } {
  let chain: Promise<unknown> = Promise.resolve();
  let running = false;
  const flush = () => {
    chain = chain
      .then(() => writeAuditSegments(deps))
      .catch((err: unknown) =>
        deps.log?.error({ err: errorMessage(err) }, 'audit segment could not be archived; will retry'),
      );
    return chain.then(() => undefined);
  };
  const tick = () => {
    if (running) return;
    const tail = unsealedTail(deps.repo);
    if (!tailDue({ rows: tail.rows, oldestAt: tail.since ?? undefined }, cadence)) return;
    running = true;
    void flush().finally(() => (running = false));
  };
  const timer = setInterval(tick, Math.min(1000, cadence.intervalMs));
  timer.unref();
  return {
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}

export interface SegmentVerifyResult {
  ok: boolean;
  segments: number;
  problems: { segment: string; problem: string }[];
}

/**
 * Re-reads every archived segment: its seal, its rows' hash chain, that segments join up, and
 * that every sealed row is still in the catalog with the hash the segment sealed.
 */
export async function verifyAuditSegments(deps: {
  audit: AuditLog;
  segments: AuditSegmentsRepo;
  archive: ArchiveBackend;
  verifier: SealVerifier;
}): Promise<SegmentVerifyResult> {
  const problems: SegmentVerifyResult['problems'] = [];
  const segments = deps.segments.list();
  let expectedPrev = GENESIS_HASH;
  let expectedSeq = 1;
  for (const s of segments) {
    const bad = (problem: string) => problems.push({ segment: s.name, problem });
    const body = await readFirstVersion(deps.archive, archiveKeys.auditSegment(s.name)).catch(
      (err: unknown) => (bad(errorMessage(err)), null),
    );
    const p7s = await readFirstVersion(deps.archive, archiveKeys.auditSignature(s.name)).catch(() => null);
    const tsr = await readFirstVersion(deps.archive, `${archiveKeys.auditSegment(s.name)}.tsr`).catch(() => null);
    if (!body) {
      bad('segment missing from the archive');
      continue;
    }
    if (sha256Hex(body) !== s.sha256) bad('archived segment does not hash to the catalogued SHA-256');
    if (!p7s) bad('seal (.p7s) missing');
    else {
      const check = deps.verifier.verify(body, p7s, tsr ?? undefined, undefined);
      if (!check.ok) bad(`seal: ${check.problems.join('; ')}`);
    }
    const lines = body
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0);
    if (s.firstSeq !== expectedSeq) bad(`starts at seq ${s.firstSeq}, expected ${expectedSeq}`);
    let prev = expectedPrev;
    let lastHash = '';
    for (const line of lines) {
      let r: Omit<AuditRow, 'prevHash'> & { prev_hash: string };
      try {
        r = JSON.parse(line) as typeof r;
      } catch {
        bad('a line is not JSON');
        break;
      }
      if (r.prev_hash !== prev) bad(`seq ${r.seq}: prev_hash does not link to the row before`);
      if (auditRowHash(r.prev_hash, r) !== r.hash) bad(`seq ${r.seq}: content does not match its hash`);
      // Every sealed row must still be in the catalog as sealed: a row rewritten (even with a
      // recomputed chain) or deleted after sealing is caught here, not only at the segment's end.
      const now = deps.audit.hashAt(r.seq);
      if (now === null) bad(`catalog row ${r.seq} was deleted after it was sealed`);
      else if (now !== r.hash) bad(`catalog row ${r.seq} was rewritten after it was sealed`);
      prev = r.hash;
      lastHash = r.hash;
    }
    if (lastHash !== s.lastHash) bad('last row hash differs from the catalogued last_hash');
    expectedPrev = lastHash || expectedPrev;
    expectedSeq = s.lastSeq + 1;
  }
  return { ok: problems.length === 0, segments: segments.length, problems };
}
