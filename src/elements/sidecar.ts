// Sidecar files (`<footage name>.json`): parsed whole or rejected whole — a malformed sidecar
// is reported, never half-applied.
import { validateElements } from './validate.js';
import type { Elements } from './types.js';

export type SidecarOutcome = { ok: true; elements: Elements } | { ok: false; problems: string[] };

export function parseSidecar(bytes: Buffer, opts: { maxBytes: number; caseNumberPattern: string }): SidecarOutcome {
  if (bytes.length > opts.maxBytes)
    return { ok: false, problems: [`sidecar is ${bytes.length} bytes; the limit is ${opts.maxBytes}`] };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, problems: ['sidecar is not valid UTF-8'] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`sidecar is not valid JSON: ${(err as Error).message}`] };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return { ok: false, problems: ['sidecar must be a JSON object'] };
  return validateElements(doc, opts.caseNumberPattern);
}
