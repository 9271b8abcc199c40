// The archive layout of SPEC.md, built in one place so `local` and `s3` use identical keys.
import { createHash } from 'node:crypto';
import { SealdockError } from '../errors.js';

const EVIDENCE_ID = /^[0-9A-Za-z][0-9A-Za-z-]{0,63}$/;

export function assertEvidenceId(id: string): string {
  if (!EVIDENCE_ID.test(id)) throw new SealdockError('BAD_INPUT', `not an evidence id: ${JSON.stringify(id)}`);
  return id;
}

/** A file name as it may appear as the last segment of a key: no separators, no dot-segments, no controls. */
export function assertSafeFileName(name: string): string {
  if (
    name.length === 0 ||
    Buffer.byteLength(name, 'utf8') > 255 ||
    name === '.' ||
    name === '..' ||
    /[/\\\u0000-\u001f\u007f]/.test(name) ||
    name !== name.normalize('NFC')
  ) {
    throw new SealdockError('BAD_INPUT', `unsafe file name: ${JSON.stringify(name)}`);
  }
  return name;
}

export function formatRevision(rev: number): string {
  if (!Number.isInteger(rev) || rev < 1 || rev > 9999) throw new SealdockError('BAD_INPUT', `bad revision ${rev}`);
  return String(rev).padStart(4, '0');
}

export const archiveKeys = {
  original: (id: string, fileName: string) =>
    `evidence/${assertEvidenceId(id)}/original/${assertSafeFileName(fileName)}`,
  manifest: (id: string, rev: number) => `evidence/${assertEvidenceId(id)}/manifest/${formatRevision(rev)}.json`,
  signature: (id: string, rev: number) => `${archiveKeys.manifest(id, rev)}.p7s`,
  timestamp: (id: string, rev: number) => `${archiveKeys.manifest(id, rev)}.tsr`,
  derivative: (id: string, rev: number) => `evidence/${assertEvidenceId(id)}/derivative/${formatRevision(rev)}.mp4`,
  manifestPrefix: (id: string) => `evidence/${assertEvidenceId(id)}/manifest/`,
  evidencePrefix: () => 'evidence/',
  auditSegment: (segment: string) => `audit/${assertSafeFileName(segment)}.jsonl`,
  auditSignature: (segment: string) => `audit/${assertSafeFileName(segment)}.jsonl.p7s`,
};

/** Keys are produced by archiveKeys; backends still refuse anything that could escape their root. */
export function assertSafeKey(key: string): string {
  const parts = key.split('/');
  if (
    key.length === 0 ||
    key.length > 1024 ||
    key.startsWith('/') ||
    parts.some((p) => p === '' || p === '.' || p === '..') ||
    /[\\\u0000-\u001f\u007f]/.test(key)
  ) {
    throw new SealdockError('BAD_INPUT', `unsafe archive key: ${JSON.stringify(key)}`);
  }
  return key;
}

/**
 * The key name of an original: derived, never the raw name, so no name (any bytes, up to 255 of
 * them) can reach a path or key limit: `<stem>-<8 hex of SHA-256 of the exact name bytes>.<ext>`,
 * the stem reduced to letters, digits and `_.()-` and cut to 96 bytes. The hash keeps names that
 * reduce alike apart; the exact name is recorded in the catalog and sealed in the manifest.
 * The key is derived once, at intake, and recorded in the catalog (reindex reads it from the
 * manifest), so changing this function never moves an existing item's original.
 */
export function originalObjectName(exactNameBytes: Uint8Array): string {
  const text = Buffer.from(exactNameBytes).toString('utf8').normalize('NFC');
  const dot = text.lastIndexOf('.');
  const ext = dot > 0 && /^[A-Za-z0-9]{1,10}$/.test(text.slice(dot + 1)) ? text.slice(dot + 1) : '';
  const stem = [...(ext ? text.slice(0, dot) : text).replace(/[^\p{L}\p{N}_.()-]+/gu, '_')];
  while (stem.length > 0 && Buffer.byteLength(stem.join(''), 'utf8') > 96) stem.pop();
  const cleaned = stem.join('').replace(/^[._]+/, '');
  const hash = createHash('sha256').update(exactNameBytes).digest('hex').slice(0, 8);
  return `${cleaned || 'original'}-${hash}${ext ? `.${ext}` : ''}`;
}

/**
 * How keys were named before originalObjectName (the NFC name, cleaned, at most 255 bytes):
 * items catalogued then keep finding their original where it was archived.
 */
export function legacyArchiveFileName(name: string): string {
  let safe = name.normalize('NFC').replace(/[/\\\u0000-\u001f\u007f]/g, '_');
  if (safe === '' || safe === '.' || safe === '..') safe = `_${safe}`;
  const dot = safe.lastIndexOf('.');
  const ext = dot > 0 && safe.length - dot <= 16 ? safe.slice(dot) : '';
  let stem = ext ? safe.slice(0, dot) : safe;
  while (Buffer.byteLength(stem + ext, 'utf8') > 255) stem = [...stem].slice(0, -1).join('');
  return stem + ext;
}

export function evidenceIdFor(sha256: string): string {
  return `ev-${sha256.slice(0, 24)}`;
}
