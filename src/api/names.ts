// Names a dock may push, and case numbers in paths, pure. A pushed name is taken byte for byte
// from the request target (percent-decoded ourselves: a name need not be UTF-8, and the router
// refuses percent-encoded bytes that are not); it is recorded exactly and only ever used as data,
// never as a path, so only what no file name can hold is refused.
import { SealdockError } from '../errors.js';

const PUSH_TARGET = /^\/api\/v1\/docks\/([^/?#]+)\/files\/([^/?#]*)(?:[?#].*)?$/s;

/** Percent-decodes to bytes; null when an escape is malformed. */
function percentDecode(segment: string): Buffer | null {
  const out: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c === 0x25) {
      const hex = segment.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
      out.push(parseInt(hex, 16));
      i += 2;
    } else if (c > 0x7f) {
      out.push(...Buffer.from(segment[i]!, 'utf8'));
    } else out.push(c);
  }
  return Buffer.from(out);
}

/**
 * For the router only: a push target whose name is percent-encoded bytes that are not UTF-8 gets
 * a placeholder name so it reaches the route; the route reads the name from the original target.
 */
export function routablePushTarget(url: string): string {
  const m = PUSH_TARGET.exec(url);
  if (!m) return url;
  try {
    decodeURIComponent(m[2]!);
    return url;
  } catch {
    const prefix = `/api/v1/docks/${m[1]!}/files/`;
    return `${prefix}_${url.slice(prefix.length + m[2]!.length)}`;
  }
}

/** The pushed file's name, exactly the bytes the client percent-encoded in the request target. */
export function uploadNameFromTarget(originalUrl: string): Buffer {
  const m = PUSH_TARGET.exec(originalUrl);
  const name = m ? percentDecode(m[2]!) : null;
  const problem =
    name === null
      ? 'is not a percent-encoded path segment'
      : name.length === 0
        ? 'is empty'
        : name.length > 255
          ? 'is longer than 255 bytes'
          : name.includes(0x2f)
            ? 'contains a path separator (/)'
            : name.includes(0)
              ? 'contains NUL'
              : name.toString('latin1') === '.' || name.toString('latin1') === '..'
                ? 'is a dot-segment'
                : null;
  if (problem) throw new SealdockError('BAD_INPUT', `file name ${problem}`);
  return name!;
}

/** Case numbers in paths and queries: NFC, bounded, no controls (matching is exact after that). */
export function normaliseCaseNumber(raw: string): string {
  const s = raw.normalize('NFC');
  if (s.length === 0 || Buffer.byteLength(s, 'utf8') > 256 || /[\u0000-\u001f\u007f]/.test(s)) {
    throw new SealdockError('BAD_INPUT', 'case number is empty, too long or holds control characters');
  }
  return s;
}
