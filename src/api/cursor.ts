// Opaque keyset cursors for listings: base64url of [receivedAt, id]. Pure.
import { SealdockError } from '../errors.js';

export interface Cursor {
  receivedAt: string;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.receivedAt, c.id]), 'utf8').toString('base64url');
}

export function decodeCursor(s: string): Cursor {
  const bad = () => new SealdockError('BAD_INPUT', 'cursor is not one this API handed out');
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(s)) throw bad();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    typeof v[0] !== 'string' ||
    typeof v[1] !== 'string' ||
    v[0].length > 64 ||
    v[1].length > 64
  )
    throw bad();
  return { receivedAt: v[0], id: v[1] };
}
