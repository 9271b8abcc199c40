// Sidecar files (`<footage name>.json`). A file that cannot be read as a JSON object (too big,
// not UTF-8, not JSON) is rejected whole. Otherwise each key stands on its own: valid values are
// applied and each refused one is recorded with its reason, so one mistyped case number does not
// throw away a good time, place and collector (docs/architecture.md, "Sidecars").
import { validateElementsByKey, type RejectedValue } from './validate.js';
import type { Elements } from './types.js';

export type SidecarOutcome =
  { ok: true; elements: Elements; rejected: RejectedValue[] } | { ok: false; problems: string[] };

export function parseSidecar(bytes: Buffer, opts: { maxBytes: number; caseNumberPattern: string }): SidecarOutcome {
  if (bytes.length > opts.maxBytes)
    return {
      ok: false,
      problems: [`附加文件过大 / sidecar is ${bytes.length} bytes; the limit is ${opts.maxBytes}`],
    };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, problems: ['附加文件不是 UTF-8 编码 / sidecar is not valid UTF-8'] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`附加文件不是有效的 JSON / sidecar is not valid JSON: ${(err as Error).message}`] };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return { ok: false, problems: ['附加文件须为 JSON 对象 / sidecar must be a JSON object'] };
  return { ok: true, ...validateElementsByKey(doc as Record<string, unknown>, opts.caseNumberPattern) };
}

/** One line per refused value, for logs and `show`. */
export function describeRejected(rejected: RejectedValue[]): string[] {
  return rejected.map((r) => `${r.key}: ${r.reason}`);
}
