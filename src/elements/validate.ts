// Strict validation of element values, shared by sidecars, annotations (CLI/API) and bindings.
import { z } from 'zod';
import type { Collector, Elements, Place, RecordedAt } from './types.js';

/** ISO 8601 date-time with an explicit offset (Z or ±hh:mm): a time without one is ambiguous evidence. */
export const ISO_WITH_OFFSET =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

const text = (max: number) =>
  z
    .string()
    .transform((s) => s.normalize('NFC').trim())
    .pipe(
      z
        .string()
        .min(1, 'must not be empty')
        .max(max, `must be at most ${max} characters`)
        .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters'),
    );

export const isoWithOffset = z
  .string()
  .regex(ISO_WITH_OFFSET, 'must be an ISO 8601 date-time with an offset, e.g. 2026-11-20T08:15:00+08:00')
  .refine(isRealDate, 'is not a real date-time');

/** Date.parse rolls 2026-02-30 over to March: check the calendar day exists. */
function isRealDate(s: string): boolean {
  const [y, m, d] = s.slice(0, 10).split('-').map(Number) as [number, number, number];
  return !Number.isNaN(Date.parse(s)) && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

export const recordedAtSchema = z.union(
  [
    isoWithOffset.transform((start): RecordedAt => ({ start })),
    z.strictObject({
      start: isoWithOffset,
      durationSeconds: z
        .number()
        .nonnegative()
        .max(7 * 86400)
        .optional(),
    }),
  ],
  {
    error:
      'must be an ISO 8601 date-time with an offset (e.g. 2026-11-20T08:15:00+08:00) or { start, durationSeconds }',
  },
);

export const placeSchema = z.union(
  [
    text(500).transform((t): Place => ({ text: t })),
    z.strictObject({
      text: text(500),
      lat: z.number().min(-90).max(90).optional(),
      lon: z.number().min(-180).max(180).optional(),
    }),
  ],
  { error: 'must be non-empty text (≤ 500) or { text, lat (−90…90), lon (−180…180) }' },
);

export const collectorSchema = z.union(
  [text(200).transform((name): Collector => ({ name })), z.strictObject({ name: text(200), id: text(64).optional() })],
  { error: 'must be a non-empty name (≤ 200, no control characters) or { name, id }' },
);

export function elementsSchema(caseNumberPattern: string) {
  const re = new RegExp(caseNumberPattern, 'u');
  return z.strictObject({
    caseNumber: text(64)
      .refine((s) => re.test(s), `does not match the case number pattern ${caseNumberPattern}`)
      .optional(),
    recordedAt: recordedAtSchema.optional(),
    place: placeSchema.optional(),
    collector: collectorSchema.optional(),
    purpose: text(1000).optional(),
  });
}

export type ValidationOutcome = { ok: true; elements: Elements } | { ok: false; problems: string[] };

export function validateElements(input: unknown, caseNumberPattern: string): ValidationOutcome {
  const parsed = elementsSchema(caseNumberPattern).safeParse(input);
  if (parsed.success) {
    const elements: Elements = {};
    for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) (elements as Record<string, unknown>)[k] = v;
    return { ok: true, elements };
  }
  return {
    ok: false,
    problems: parsed.error.issues.map((i) => {
      const key = i.path.join('.');
      if (i.code === 'unrecognized_keys') return `unknown key(s): ${i.keys.join(', ')}`;
      return key ? `${key}: ${i.message}` : i.message;
    }),
  };
}
