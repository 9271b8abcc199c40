// Our own walk of a dock, on raw name bytes (readdir with encoding 'buffer'). chokidar and every
// string-based fs call hand back names that are not UTF-8 lossily (U+FFFD), and such a name can
// then not be opened: this walk sees every entry, whatever its bytes, and says of each one
// either "a file to consider" or why it is not taken. The dock service runs it periodically as
// a reconciliation behind the watcher; `sealdock docks check` runs it once.
import type { Dirent } from 'node:fs';
import fsp from 'node:fs/promises';
import { ignoredNameReason, joinDockPath, type NotTakenReason } from './names.js';

export type ScanEntry =
  | { kind: 'file'; rel: Buffer; abs: Buffer }
  | { kind: 'not-taken'; rel: Buffer; abs: Buffer; reason: NotTakenReason; detail?: string };

function entryReason(d: Dirent<Buffer>): NotTakenReason | null {
  if (d.isSymbolicLink()) return 'symlink';
  if (d.isFIFO()) return 'fifo';
  if (d.isSocket()) return 'socket';
  if (d.isBlockDevice() || d.isCharacterDevice()) return 'device';
  return null;
}

/**
 * Every entry below `root`, depth first. `maxDepth` is the number of folders a file may sit
 * below the dock (0 = only files directly in it); a deeper folder is reported, not entered.
 */
export async function* scanDock(root: string, maxDepth: number): AsyncGenerator<ScanEntry> {
  yield* walk(root, Buffer.alloc(0), 0, maxDepth);
}

async function* walk(root: string, relDir: Buffer, depth: number, maxDepth: number): AsyncGenerator<ScanEntry> {
  const absDir = relDir.length ? joinDockPath(root, relDir) : Buffer.from(root, 'utf8');
  let entries: Dirent<Buffer>[];
  try {
    entries = await fsp.readdir(absDir, { encoding: 'buffer', withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The dock root vanishing (unmounted) is not a finding about a file.
    if (relDir.length === 0 && code === 'ENOENT') return;
    if (code === 'ENOENT' || code === 'ENOTDIR') return; // gone while we walked
    yield { kind: 'not-taken', rel: relDir, abs: absDir, reason: 'unreadable', detail: code ?? 'error' };
    return;
  }
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  for (const d of entries) {
    const rel = relDir.length ? Buffer.concat([relDir, Buffer.from('/'), d.name]) : Buffer.from(d.name);
    const abs = joinDockPath(root, rel);
    const special = entryReason(d);
    if (special) {
      yield { kind: 'not-taken', rel, abs, reason: special };
      continue;
    }
    const ignored = ignoredNameReason(d.name);
    if (ignored) {
      yield { kind: 'not-taken', rel, abs, reason: ignored };
      continue;
    }
    if (d.isDirectory()) {
      if (depth >= maxDepth) yield { kind: 'not-taken', rel, abs, reason: 'too-deep' };
      else yield* walk(root, rel, depth + 1, maxDepth);
      continue;
    }
    if (d.isFile()) yield { kind: 'file', rel, abs };
    // DT_UNKNOWN (some network filesystems): ask lstat.
    else {
      const st = await fsp.lstat(abs).catch(() => null);
      if (st?.isFile()) yield { kind: 'file', rel, abs };
      else if (st?.isDirectory()) {
        if (depth >= maxDepth) yield { kind: 'not-taken', rel, abs, reason: 'too-deep' };
        else yield* walk(root, rel, depth + 1, maxDepth);
      } else if (st) yield { kind: 'not-taken', rel, abs, reason: st.isSymbolicLink() ? 'symlink' : 'device' };
    }
  }
}
