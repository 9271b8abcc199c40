// The JSON columns, typed and checked as they are read: a row that does not parse is a clear
// error naming the column, never a half-typed object travelling on through the pipeline.
import { z } from 'zod';
import { SealdockError } from '../errors.js';
import { ELEMENT_KEYS, ELEMENT_SOURCES } from '../elements/types.js';

// Loose objects: a newer sealdock may add a field; an older one must still read the row.
const recordedAt = z.looseObject({ start: z.string(), durationSeconds: z.number().optional() });
const place = z.looseObject({ text: z.string(), lat: z.number().optional(), lon: z.number().optional() });
const collector = z.looseObject({ name: z.string(), id: z.string().optional() });

export const elementsColumn = z.looseObject({
  caseNumber: z.string().optional(),
  recordedAt: recordedAt.optional(),
  place: place.optional(),
  collector: collector.optional(),
  purpose: z.string().optional(),
});

export const elementSourcesColumn = z.partialRecord(z.enum(ELEMENT_KEYS), z.enum(ELEMENT_SOURCES));
/** A name or path byte for byte (util/file-names ExactName); null on rows older than exact names. */
export const exactNameColumn = z
  .strictObject({ encoding: z.enum(['utf-8', 'base64']), value: z.string().min(1) })
  .nullable();
export const missingColumn = z.array(z.enum(ELEMENT_KEYS));
export const sidecarColumn = z
  .looseObject({
    name: z.string(),
    sha256: z.string().optional(),
    elements: elementsColumn.optional(),
    problems: z.array(z.string()).optional(),
  })
  .nullable();
/** media and derivative are shaped by the pipeline (ItemMedia, ManifestDerivative); here: an object or null. */
export const objectColumn = z.record(z.string(), z.unknown()).nullable();
export const detailsColumn = z.record(z.string(), z.unknown());

/** Parses a JSON column and checks its shape; throws INTERNAL naming table.column. */
export function readJson<T extends z.ZodType>(schema: T, text: string | null, where: string): z.infer<T> {
  let value: unknown;
  try {
    value = text === null ? null : JSON.parse(text);
  } catch {
    throw new SealdockError('INTERNAL', `catalog ${where} is not valid JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new SealdockError(
      'INTERNAL',
      `catalog ${where} has an unexpected shape: ${parsed.error.issues[0]?.message ?? ''}`,
    );
  return parsed.data;
}
