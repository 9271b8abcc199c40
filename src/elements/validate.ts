// Strict validation of element values, shared by sidecars, annotations (CLI/API) and bindings.
import { z } from 'zod';
import { caseNumberProblem } from './case-number.js';
import { ELEMENT_KEYS, type Collector, type ElementKey, type Elements, type Place, type RecordedAt } from './types.js';

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
        .min(1, '不能为空 / must not be empty')
        .max(max, `不能超过 ${max} 个字符 / must be at most ${max} characters`)
        .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), '不能含有控制字符 / must not contain control characters'),
    );

export const isoWithOffset = z
  .string()
  .regex(
    ISO_WITH_OFFSET,
    '须为带时区偏移的 ISO 8601 时间 / must be an ISO 8601 date-time with an offset, e.g. 2026-11-20T08:15:00+08:00',
  )
  .refine(isRealDate, '不是真实存在的日期时间 / is not a real date-time');

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
      '须为带时区偏移的 ISO 8601 时间或 { start, durationSeconds } / must be an ISO 8601 date-time with an offset (e.g. 2026-11-20T08:15:00+08:00) or { start, durationSeconds }',
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
  {
    error:
      '须为非空文字（≤ 500）或 { text, lat, lon } / must be non-empty text (≤ 500) or { text, lat (−90…90), lon (−180…180) }',
  },
);

export const collectorSchema = z.union(
  [text(200).transform((name): Collector => ({ name })), z.strictObject({ name: text(200), id: text(64).optional() })],
  {
    error:
      '须为非空姓名（≤ 200，无控制字符）或 { name, id } / must be a non-empty name (≤ 200, no control characters) or { name, id }',
  },
);

/** A case number is not trimmed: padding is refused with its reason (see case-number.ts). */
export function caseNumberSchema(caseNumberPattern: string) {
  const re = new RegExp(caseNumberPattern, 'u');
  return z
    .string({ error: '须为文字 / must be text' })
    .transform((s) => s.normalize('NFC'))
    .superRefine((s, ctx) => {
      const problem = caseNumberProblem(s, re);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
}

export function elementsSchema(caseNumberPattern: string) {
  return z.strictObject({
    caseNumber: caseNumberSchema(caseNumberPattern).optional(),
    recordedAt: recordedAtSchema.optional(),
    place: placeSchema.optional(),
    collector: collectorSchema.optional(),
    purpose: text(1000).optional(),
  });
}

export type ValidationOutcome = { ok: true; elements: Elements } | { ok: false; problems: string[] };

/** One value that was refused, and why (Chinese and English). */
export interface RejectedValue {
  key: string;
  reason: string;
}

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
      if (i.code === 'unrecognized_keys') return `未知的键 / unknown key(s): ${i.keys.join(', ')}`;
      return key ? `${key}: ${i.message}` : i.message;
    }),
  };
}

/**
 * Validates each key on its own (sidecars): the valid values are kept and every refused one is
 * named with its reason, so one mistyped case number does not throw away a good time and place.
 */
export function validateElementsByKey(
  input: Record<string, unknown>,
  caseNumberPattern: string,
): { elements: Elements; rejected: RejectedValue[] } {
  const schema = elementsSchema(caseNumberPattern);
  const elements: Elements = {};
  const rejected: RejectedValue[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (!(ELEMENT_KEYS as readonly string[]).includes(key)) {
      rejected.push({
        key,
        reason: `未知的键（允许：${ELEMENT_KEYS.join(', ')}）/ unknown key (allowed: ${ELEMENT_KEYS.join(', ')})`,
      });
      continue;
    }
    const parsed = schema.shape[key as ElementKey].safeParse(value);
    if (parsed.success) {
      if (parsed.data !== undefined) (elements as Record<string, unknown>)[key] = parsed.data;
    } else {
      rejected.push({
        key,
        reason: parsed.error.issues
          .map((i) => (i.path.length ? `${[key, ...i.path].join('.')}: ${i.message}` : i.message))
          .join('; '),
      });
    }
  }
  return { elements, rejected };
}
