// Unique, playable footage for tests: a fixture plus a trailing `free` atom carrying a tag, so
// every clip has its own SHA-256 (and, where a test needs it, a marker a tool can look for).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fixture } from './fixtures.js';

export function uniqueClipBytes(tag: string, base = 'h264-aac.mp4'): Buffer {
  const payload = Buffer.from(`sealdock-test ${tag} ${randomBytes(8).toString('hex')}`);
  const atom = Buffer.alloc(8);
  atom.writeUInt32BE(8 + payload.length, 0);
  atom.write('free', 4, 'latin1');
  return Buffer.concat([fs.readFileSync(fixture(base)), atom, payload]);
}

/** Writes a unique clip (creating folders) and returns its SHA-256. */
export function writeUniqueClip(dest: string, tag: string, opts: { sidecar?: unknown; mtime?: Date } = {}): string {
  const bytes = uniqueClipBytes(tag);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  if (opts.sidecar !== undefined) fs.writeFileSync(`${dest}.json`, JSON.stringify(opts.sidecar));
  fs.writeFileSync(dest, bytes);
  if (opts.mtime) fs.utimesSync(dest, opts.mtime, opts.mtime);
  return createHash('sha256').update(bytes).digest('hex');
}
