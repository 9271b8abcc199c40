// File names as the filesystem gives them: bytes, not necessarily UTF-8. Pure.
// Names are recorded exactly (UTF-8 text when the bytes are valid UTF-8, else base64, with a
// marker saying which) and shown only in an escaped form that no terminal or browser can be
// tricked by: control characters, bidi overrides and other invisible format characters, and
// bytes that are not UTF-8 all appear as visible escapes.
import { isUtf8 } from 'node:buffer';

export type NameEncoding = 'utf-8' | 'base64';

/** A name (or dock-relative path) exactly as its bytes were, in a JSON-safe form. */
export interface ExactName {
  encoding: NameEncoding;
  value: string;
}

export function exactNameOf(bytes: Uint8Array): ExactName {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isUtf8(buf)
    ? { encoding: 'utf-8', value: buf.toString('utf8') }
    : { encoding: 'base64', value: buf.toString('base64') };
}

export function exactNameBytes(name: ExactName): Buffer {
  return Buffer.from(name.value, name.encoding === 'utf-8' ? 'utf8' : 'base64');
}

export function isExactName(v: unknown): v is ExactName {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (o.encoding === 'utf-8' || o.encoding === 'base64') && typeof o.value === 'string' && o.value.length > 0;
}

// Cc: C0/C1 controls; Cf: bidi marks and overrides, zero-width and other invisible format
// characters; Zl/Zp: line and paragraph separators; a lone backslash is doubled so an escape
// shown to a user can never be forged by a name that spells one out.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\\]/u;

function escapeCodePoint(cp: number): string {
  if (cp === 0x5c) return '\\\\';
  return cp > 0xffff ? `\\u{${cp.toString(16).toUpperCase()}}` : `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * A name as it may be shown anywhere (CLI, API, logs): NFC, every unsafe character as `\uXXXX`,
 * and, in a name that is not valid UTF-8, every non-ASCII byte as `\xNN`. Printable names come
 * back unchanged.
 */
export function displayName(input: Uint8Array | string): string {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  // A name that is not UTF-8 as a whole is in some other encoding (GBK…): decoding its pieces as
  // UTF-8 would show made-up characters, so every byte outside ASCII is shown as a byte.
  const utf8 = isUtf8(bytes);
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const decoded = utf8 || bytes[i]! < 0x80 ? decodeAt(bytes, i) : null;
    if (!decoded) {
      out += `\\x${bytes[i]!.toString(16).toUpperCase().padStart(2, '0')}`;
      i++;
      continue;
    }
    const ch = String.fromCodePoint(decoded.cp);
    out += UNSAFE.test(ch) ? escapeCodePoint(decoded.cp) : ch;
    i += decoded.length;
  }
  return out.normalize('NFC');
}

/** One well-formed UTF-8 sequence at `i` (no overlongs, no surrogates), or null. */
function decodeAt(b: Uint8Array, i: number): { cp: number; length: number } | null {
  const c = b[i]!;
  if (c < 0x80) return { cp: c, length: 1 };
  let n: number;
  let cp: number;
  let min: number;
  if (c >= 0xc2 && c <= 0xdf) [n, cp, min] = [1, c & 0x1f, 0x80];
  else if (c >= 0xe0 && c <= 0xef) [n, cp, min] = [2, c & 0x0f, 0x800];
  else if (c >= 0xf0 && c <= 0xf4) [n, cp, min] = [3, c & 0x07, 0x10000];
  else return null;
  for (let k = 1; k <= n; k++) {
    const cc = b[i + k];
    if (cc === undefined || (cc & 0xc0) !== 0x80) return null;
    cp = (cp << 6) | (cc & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
  return { cp, length: n + 1 };
}
