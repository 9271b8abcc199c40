// Turns a value chosen by people (a case number, a label) into one safe file or folder name:
// one path segment on every file system we export to (ext4, NTFS, exFAT on a court's USB stick).
// Readable where possible: Chinese text and brackets stay as they are.

const MAX_BYTES = 200;

export function safeFileName(value: string): string {
  let name = value
    .normalize('NFC')
    // separators, characters Windows reserves, and anything invisible or controlling
    .replace(/[/\\<>:"|?*\p{Cc}\p{Cf}\u2028\u2029]/gu, '_')
    .trim()
    // a trailing dot or space is silently dropped by Windows; a leading dot hides the file
    .replace(/^[.\s]+|[.\s]+$/gu, '');
  if (/^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/i.test(name)) name = `_${name}`;
  while (Buffer.byteLength(name, 'utf8') > MAX_BYTES) name = [...name].slice(0, -1).join('');
  return name || '_';
}
