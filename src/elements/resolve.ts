// Merges the five elements from every source by the spec's precedence, and says what is missing.
// Pure: the caller gathers candidates (annotation, sidecar, binding, dock default, media).
import { ELEMENT_KEYS, type ElementKey, type Elements, type ElementSource, type ElementSources } from './types.js';

export interface ElementCandidates {
  annotation?: Elements | undefined;
  sidecar?: Elements | undefined;
  binding?: Elements | undefined;
  dock?: Elements | undefined;
  /** Media-derived values; recordedAt carries which fallback produced it (media, filename or mtime). */
  media?: Elements | undefined;
  mediaRecordedAtSource?: 'media' | 'filename' | 'mtime' | undefined;
}

export interface ResolvedElements {
  elements: Elements;
  sources: ElementSources;
  missing: ElementKey[];
  /** Present but only from a default or a guess (see unconfirmedElements): shown apart from missing. */
  unconfirmed: ElementKey[];
}

/** Sources that only guess: a dock's configured default, a time taken from the file's mtime. */
const GUESSING_SOURCES: readonly ElementSource[] = ['dock', 'mtime'];

/**
 * Places that say "not configured" or "unknown" in so many words (e.g. the shipped dock default
 * 未配置采集地点): a placeholder is never a known place, whatever source gave it — only an
 * explicit annotation is taken at its word.
 */
const PLACEHOLDER_PLACE =
  /^(未配置|未设置|未知|不详|待定|待补|无)|^(n\/?a|none|unknown|not (set|configured)|tbd|-+)$/iu;

/** The elements that are present but unconfirmed (a default, an mtime time, a placeholder place). */
export function unconfirmedElements(elements: Elements, sources: ElementSources): ElementKey[] {
  return ELEMENT_KEYS.filter((k) => {
    const source = sources[k];
    if (elements[k] === undefined || !source) return false;
    if (GUESSING_SOURCES.includes(source)) return true;
    return k === 'place' && source !== 'annotation' && PLACEHOLDER_PLACE.test(elements.place!.text.trim());
  });
}

const ORDER: ('annotation' | 'sidecar' | 'binding' | 'dock' | 'media')[] = [
  'annotation',
  'sidecar',
  'binding',
  'dock',
  'media',
];

export function resolveElements(c: ElementCandidates): ResolvedElements {
  const elements: Elements = {};
  const sources: ElementSources = {};
  for (const key of ELEMENT_KEYS) {
    for (const source of ORDER) {
      const value = c[source]?.[key];
      if (value === undefined) continue;
      (elements as Record<string, unknown>)[key] = value;
      sources[key] = (
        source === 'media' && key === 'recordedAt' ? (c.mediaRecordedAtSource ?? 'media') : source
      ) as ElementSource;
      break;
    }
  }
  // A place given as text (dock default, sidecar) gains the coordinates the recorder's GPS wrote.
  const gps = c.media?.place;
  if (elements.place && gps && elements.place.lat === undefined && gps.lat !== undefined && gps.lon !== undefined) {
    elements.place = { ...elements.place, lat: gps.lat, lon: gps.lon };
  }
  const missing = ELEMENT_KEYS.filter((k) => elements[k] === undefined);
  return { elements, sources, missing, unconfirmed: unconfirmedElements(elements, sources) };
}

/** Field-by-field differences, for the audit log's old/new values. */
export function elementChanges(before: Elements, after: Elements): { key: ElementKey; old: unknown; new: unknown }[] {
  const out: { key: ElementKey; old: unknown; new: unknown }[] = [];
  for (const key of ELEMENT_KEYS) {
    const a = JSON.stringify(before[key] ?? null);
    const b = JSON.stringify(after[key] ?? null);
    if (a !== b) out.push({ key, old: before[key] ?? null, new: after[key] ?? null });
  }
  return out;
}
