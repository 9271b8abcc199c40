// Names a dock may push, pure: one path segment, nothing a file system or archive key could
// misread. The name is normalised to NFC first (macOS clients send NFD).
import { SealdockError } from '../errors.js';

export function validateUploadName(raw: string): string {
  const name = raw.normalize('NFC');
  const problem =
    name.length === 0
      ? 'is empty'
      : Buffer.byteLength(name, 'utf8') > 255
        ? 'is longer than 255 bytes'
        : /[/\\]/.test(name)
          ? 'contains a path separator'
          : /[\u0000-\u001f\u007f-\u009f]/.test(name)
            ? 'contains NUL or control characters'
            : name.startsWith('.')
              ? 'starts with a dot'
              : /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(name)
                ? 'contains bidirectional control characters'
                : null;
  if (problem) throw new SealdockError('BAD_INPUT', `file name ${problem}`);
  return name;
}

/** Case numbers in paths and queries: NFC, bounded, no controls (matching is exact after that). */
export function normaliseCaseNumber(raw: string): string {
  const s = raw.normalize('NFC');
  if (s.length === 0 || Buffer.byteLength(s, 'utf8') > 256 || /[\u0000-\u001f\u007f]/.test(s)) {
    throw new SealdockError('BAD_INPUT', 'case number is empty, too long or holds control characters');
  }
  return s;
}
