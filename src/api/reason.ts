// X-Access-Reason, pure. Node hands header bytes over as latin1, so raw UTF-8 arrives as mojibake:
// we accept percent-encoded UTF-8 (what browsers' fetch and curl scripts should send) and also
// repair raw UTF-8 bytes. The decoded reason is what the audit log records.
import { SealdockError } from '../errors.js';

export const MAX_REASON_CHARS = 500;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeReason(raw: string | string[] | undefined): string {
  const value = Array.isArray(raw) ? raw.join(', ') : raw;
  if (value === undefined || value.trim() === '') {
    throw new SealdockError(
      'REASON_REQUIRED',
      'give the reason for this access in the X-Access-Reason header (percent-encoded UTF-8, at most 500 characters)',
    );
  }
  let text = value;
  if (/[\u0080-\u00ff]/.test(text) && !/[^\u0000-\u00ff]/.test(text)) {
    try {
      text = utf8.decode(Buffer.from(text, 'latin1'));
    } catch {
      // not UTF-8: keep the latin1 reading
    }
  }
  if (/%[0-9A-Fa-f]{2}/.test(text)) {
    try {
      text = decodeURIComponent(text);
    } catch {
      // "100% sure" is a reason too
    }
  }
  text = text.normalize('NFC').trim();
  if (text === '' || /[\u0000-\u001f\u007f]/.test(text))
    throw new SealdockError('REASON_REQUIRED', 'X-Access-Reason is empty or holds control characters');
  if ([...text].length > MAX_REASON_CHARS)
    throw new SealdockError('REASON_REQUIRED', `X-Access-Reason is longer than ${MAX_REASON_CHARS} characters`);
  return text;
}
