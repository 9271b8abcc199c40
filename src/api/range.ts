// RFC 9110 §14 Range for one representation, pure. Choices (docs/api.md): a header we cannot
// parse, another unit, or more than one range is ignored (200 with the whole body, which the RFC
// allows); a syntactically valid single range that does not fit is 416.

export type RangeOutcome =
  | { kind: 'full'; ignored?: 'malformed' | 'unit' | 'multiple' | undefined }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

// Longer than any sane single range: parse no further (a 10 000-range header costs nothing).
const MAX_HEADER_CHARS = 200;

export function parseRange(header: string | undefined, size: number): RangeOutcome {
  if (header === undefined) return { kind: 'full' };
  const eq = header.indexOf('=');
  if (eq < 0) return { kind: 'full', ignored: 'malformed' };
  if (header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'full', ignored: 'unit' };
  const spec = header.slice(eq + 1);
  if (spec.includes(',')) return { kind: 'full', ignored: 'multiple' };
  if (header.length > MAX_HEADER_CHARS) return { kind: 'full', ignored: 'malformed' };
  const m = /^[ \t]*(\d*)-(\d*)[ \t]*$/.exec(spec);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full', ignored: 'malformed' };
  // BigInt: `bytes=0-99999999999999999999` must clamp, not lose precision.
  const big = BigInt(size);
  if (m[1] === '') {
    const suffix = BigInt(m[2]!);
    if (suffix === 0n || size === 0) return { kind: 'unsatisfiable' };
    const start = suffix >= big ? 0n : big - suffix;
    return { kind: 'partial', start: Number(start), end: size - 1 };
  }
  const first = BigInt(m[1]!);
  const last = m[2] === '' ? null : BigInt(m[2]!);
  if (last !== null && last < first) return { kind: 'full', ignored: 'malformed' };
  if (first >= big) return { kind: 'unsatisfiable' };
  const end = last === null || last >= big ? big - 1n : last;
  return { kind: 'partial', start: Number(first), end: Number(end) };
}

/** If-None-Match against our strong ETag (weak comparison, as RFC 9110 §13.1.2 requires). */
export function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const ifNoneMatch = Array.isArray(header) ? header.join(',') : header;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

/** If-Range: the range applies only while the representation is still the one the client has. */
export function ifRangeAllows(ifRange: string | string[] | undefined, etag: string): boolean {
  if (ifRange === undefined) return true;
  if (Array.isArray(ifRange)) return false;
  // A date validator is never strong enough for our immutable objects' ETag comparison; be safe.
  return ifRange.trim() === etag;
}
