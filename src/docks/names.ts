// What on a dock is footage, what is a sidecar and what is to be left alone. Pure.
import path from 'node:path';

const TEMP_SUFFIXES = ['.tmp', '.temp', '.part', '.partial', '.crdownload', '.download', '.swp', '.lock', '~'];
const DEVICE_ID = /^[\p{L}\p{N}][\p{L}\p{N}_.-]{0,63}$/u;

/** Hidden, temporary and in-progress names: a recorder or copy tool is still working on them. */
export function isIgnoredName(name: string): boolean {
  const lower = name.toLowerCase();
  return (
    name.startsWith('.') ||
    name.startsWith('~$') ||
    TEMP_SUFFIXES.some((s) => lower.endsWith(s)) ||
    lower === 'thumbs.db' ||
    lower === 'desktop.ini'
  );
}

export const SIDECAR_SUFFIX = '.json';

export function isSidecarName(name: string): boolean {
  return name.toLowerCase().endsWith(SIDECAR_SUFFIX);
}

export function sidecarNameFor(footageName: string): string {
  return `${footageName}${SIDECAR_SUFFIX}`;
}

/**
 * The dock-relative path split into its parts, refusing anything that is not a plain relative
 * path below the dock (names are never trusted as paths).
 */
export function splitRelPath(rel: string): string[] | null {
  if (rel.length === 0 || path.isAbsolute(rel) || /[\u0000-\u001f\u007f\\]/.test(rel)) return null;
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return null;
  return parts;
}

/** Device id from the layout: `device-folder` takes the first folder below the dock. */
export function deviceIdFor(layout: 'device-folder' | 'flat', parts: readonly string[]): string | null {
  if (layout === 'flat' || parts.length < 2) return null;
  const candidate = parts[0]!.normalize('NFC');
  return DEVICE_ID.test(candidate) ? candidate : null;
}
