// The five required elements (SPEC.md) and where each value came from.

export interface RecordedAt {
  /** ISO 8601 with offset, e.g. 2026-11-20T08:15:00+08:00 */
  start: string;
  durationSeconds?: number | undefined;
}

export interface Place {
  text: string;
  lat?: number | undefined;
  lon?: number | undefined;
}

export interface Collector {
  name: string;
  /** badge / staff id */
  id?: string | undefined;
}

export interface Elements {
  caseNumber?: string | undefined;
  recordedAt?: RecordedAt | undefined;
  place?: Place | undefined;
  collector?: Collector | undefined;
  purpose?: string | undefined;
}

export const ELEMENT_KEYS = ['caseNumber', 'recordedAt', 'place', 'collector', 'purpose'] as const;
export type ElementKey = (typeof ELEMENT_KEYS)[number];

/** Precedence, strongest first (SPEC.md): annotation > sidecar > device binding / dock default > media metadata. */
export const ELEMENT_SOURCES = ['annotation', 'sidecar', 'binding', 'dock', 'media', 'filename', 'mtime'] as const;
export type ElementSource = (typeof ELEMENT_SOURCES)[number];

export type ElementSources = Partial<Record<ElementKey, ElementSource>>;
