// What on a dock is footage, what is to be left alone, and why. Pure, on raw name bytes: a name
// on a dock may be any bytes the filesystem allows (GBK from a Windows recorder, controls, bidi
// marks), and every one of them is either taken or reported with one of these reasons.

/** Why a dock entry is deliberately not taken. Each is counted, listed and audited. */
export const NOT_TAKEN_REASONS = [
  'symlink',
  'fifo',
  'socket',
  'device',
  'hidden',
  'temp',
  'too-deep',
  'unreadable',
  'empty',
] as const;
export type NotTakenReason = (typeof NOT_TAKEN_REASONS)[number];

export const NOT_TAKEN_EXPLAINED: Record<NotTakenReason, string> = {
  symlink: 'symbolic link: never followed',
  fifo: 'named pipe (FIFO): not a file',
  socket: 'socket: not a file',
  device: 'device node: not a file',
  hidden: 'hidden name (starts with a dot)',
  temp: 'temporary or in-progress name (.tmp, .part, ~$…, Thumbs.db, …)',
  'too-deep': 'folder deeper than intake.maxDepth: its contents are not looked at',
  unreadable: 'cannot be read (permissions, or the path is too long for the system)',
  empty: 'empty file (a recorder that has not written yet)',
};

const TEMP_SUFFIXES = ['.tmp', '.temp', '.part', '.partial', '.crdownload', '.download', '.swp', '.lock', '~'];
const DEVICE_ID = /^[\p{L}\p{N}][\p{L}\p{N}_.-]{0,63}$/u;

function asBytes(name: Uint8Array | string): Buffer {
  return typeof name === 'string' ? Buffer.from(name, 'utf8') : Buffer.from(name);
}

/** Hidden, temporary and in-progress names (a recorder or copy tool is still working on them), or null. */
export function ignoredNameReason(name: Uint8Array | string): 'hidden' | 'temp' | null {
  const b = asBytes(name);
  if (b[0] === 0x2e) return 'hidden';
  // latin1 keeps one character per byte, so ASCII suffixes match whatever the rest of the name is.
  const lower = b.toString('latin1').toLowerCase();
  if (
    lower.startsWith('~$') ||
    TEMP_SUFFIXES.some((s) => lower.endsWith(s)) ||
    lower === 'thumbs.db' ||
    lower === 'desktop.ini'
  )
    return 'temp';
  return null;
}

export function isIgnoredName(name: Uint8Array | string): boolean {
  return ignoredNameReason(name) !== null;
}

/**
 * The dock-relative path split into its parts, refusing anything that is not a plain relative
 * path below the dock (names are never trusted as paths). Any other byte is allowed in a part.
 */
export function splitRelPath(rel: Uint8Array | string): Buffer[] | null {
  const b = asBytes(rel);
  if (b.length === 0 || b[0] === 0x2f || b.includes(0)) return null;
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= b.length; i++) {
    if (i === b.length || b[i] === 0x2f) {
      const part = b.subarray(start, i);
      const s = part.toString('latin1');
      if (s === '' || s === '.' || s === '..') return null;
      parts.push(part);
      start = i + 1;
    }
  }
  return parts;
}

export function joinDockPath(root: string, rel: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(root.endsWith('/') ? root : `${root}/`, 'utf8'), rel]);
}

export function baseName(rel: Uint8Array): Buffer {
  const b = Buffer.from(rel);
  return b.subarray(b.lastIndexOf(0x2f) + 1);
}

/** Device id from the layout: `device-folder` takes the first folder below the dock, when it is a plain id. */
export function deviceIdFor(layout: 'device-folder' | 'flat', parts: readonly Uint8Array[]): string | null {
  if (layout === 'flat' || parts.length < 2) return null;
  const first = Buffer.from(parts[0]!);
  const candidate = first.toString('utf8');
  if (!Buffer.from(candidate, 'utf8').equals(first)) return null;
  const nfc = candidate.normalize('NFC');
  return DEVICE_ID.test(nfc) ? nfc : null;
}
