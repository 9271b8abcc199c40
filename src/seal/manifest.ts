// The sealed manifest: its type, a pure builder, its canonical bytes (RFC 8785) and a strict parser.
// The bytes are what gets signed, so they must be reproducible from the parsed value: parseManifest
// refuses anything that is not already in canonical form.
import { z } from 'zod';
import { ELEMENT_KEYS, ELEMENT_SOURCES } from '../elements/types.js';
import type { ElementKey, Elements, ElementSource, ElementSources } from '../elements/types.js';
import type { ProbeResult, Provenance } from '../media/types.js';
import { SealdockError } from '../errors.js';
import { sha256Hex } from './digest.js';
import { canonicalJson } from '../util/canonical-json.js';
import type { ExactName } from '../util/file-names.js';

function canonicalize(value: unknown): string | undefined {
  try {
    return canonicalJson(value);
  } catch {
    return undefined;
  }
}

export const MANIFEST_SCHEMA = 'sealdock.manifest/1';
export const MANIFEST_REASONS = ['intake', 'annotation', 'derivation', 'amendment'] as const;
export type ManifestReason = (typeof MANIFEST_REASONS)[number];

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex SHA-256');
// UTC only, so equal instants have equal bytes.
const isoUtc = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/, 'ISO 8601 UTC (…Z)');
const nonEmpty = z.string().min(1);
const count = z.number().int().nonnegative();

const elementsSchema = z.strictObject({
  caseNumber: nonEmpty.optional(),
  recordedAt: z.strictObject({ start: nonEmpty, durationSeconds: z.number().nonnegative().optional() }).optional(),
  place: z
    .strictObject({
      text: nonEmpty,
      lat: z.number().min(-90).max(90).optional(),
      lon: z.number().min(-180).max(180).optional(),
    })
    .optional(),
  collector: z.strictObject({ name: nonEmpty, id: nonEmpty.optional() }).optional(),
  purpose: nonEmpty.optional(),
});

const exactNameSchema = z.strictObject({ encoding: z.enum(['utf-8', 'base64']), value: nonEmpty });

const elementKey = z.enum(ELEMENT_KEYS);
const elementSource = z.enum(ELEMENT_SOURCES);
const elementSourcesSchema = z.strictObject({
  caseNumber: elementSource.optional(),
  recordedAt: elementSource.optional(),
  place: elementSource.optional(),
  collector: elementSource.optional(),
  purpose: elementSource.optional(),
});

const streamSchema = z.strictObject({
  index: count,
  type: z.enum(['video', 'audio', 'data', 'subtitle', 'other']),
  codec: z.string(),
  width: count.optional(),
  height: count.optional(),
  frameRate: z.number().nonnegative().optional(),
  pixelFormat: z.string().optional(),
  sampleRate: count.optional(),
  channels: count.optional(),
});

const probeSchema = z.strictObject({
  container: z.string(),
  durationSeconds: z.number().nonnegative().optional(),
  kind: z.enum(['video', 'audio', 'still']),
  streams: z.array(streamSchema),
  creationTime: z.string().optional(),
  location: z.strictObject({ raw: z.string(), lat: z.number(), lon: z.number() }).optional(),
  deviceTags: z.record(z.string(), z.string()).optional(),
  tags: z.record(z.string(), z.string()),
});

const unplayableSchema = z.strictObject({ unplayable: z.literal(true), error: z.string() });

const provenanceSchema = z.strictObject({
  method: z.enum(['remux', 'transcode', 'audio', 'none']),
  ffmpegVersion: z.string(),
  args: z.array(z.string()),
  startedAt: isoUtc,
  finishedAt: isoUtc,
  nodeId: nonEmpty,
  madeBy: nonEmpty,
  parentSha256: hex64,
  sha256: hex64,
  size: count,
  streamHashes: z
    .strictObject({
      original: z.array(z.string()),
      derivative: z.array(z.string()),
      hashedBy: z.enum(['sealdock', 'ffmpeg']).optional(),
    })
    .optional(),
  reason: z.string().optional(),
  burnIn: z.boolean().optional(),
});

// An amendment describes itself: each element that differs from the previous revision, its old and
// new value, and who changed it, when and why (from the audit row of the change). Revisions sealed
// before this field existed have no `changes`.
const changeSchema = z.strictObject({
  element: elementKey,
  old: z.unknown(),
  new: z.unknown(),
  source: elementSource.nullable(),
  changedBy: nonEmpty.nullable(),
  changedAt: isoUtc.nullable(),
  reason: z.string().nullable(),
});

export const manifestSchema = z
  .strictObject({
    schema: z.literal(MANIFEST_SCHEMA),
    evidenceId: nonEmpty,
    revision: z.number().int().min(1),
    previousRevisionSha256: hex64.nullable(),
    createdAt: isoUtc,
    reason: z.enum(MANIFEST_REASONS),
    elements: elementsSchema,
    elementSources: elementSourcesSchema,
    missingElements: z.array(elementKey),
    unconfirmedElements: z.array(elementKey).optional(),
    original: z.strictObject({
      fileName: nonEmpty,
      size: count,
      sha256: hex64,
      deviceId: z.string().nullable(),
      dockId: nonEmpty,
      receivedAt: isoUtc,
      archiveKey: nonEmpty,
      // The exact name and dock-relative path, byte for byte (fileName is the escaped display form).
      exactName: exactNameSchema.optional(),
      dockPath: exactNameSchema.optional(),
    }),
    media: z.union([probeSchema, unplayableSchema]).nullable(),
    derivative: z
      .strictObject({ archiveKey: nonEmpty, size: count, sha256: hex64, provenance: provenanceSchema })
      .nullable(),
    seal: z.strictObject({ certificateSha256: hex64, development: z.boolean() }),
    changes: z.array(changeSchema).optional(),
    generator: z.strictObject({ name: z.literal('sealdock'), version: nonEmpty, nodeId: nonEmpty }),
  })
  .superRefine((m, ctx) => {
    // The revision chain: 1 starts it, every later revision names its predecessor's bytes.
    if ((m.revision === 1) !== (m.previousRevisionSha256 === null)) {
      ctx.addIssue({
        code: 'custom',
        path: ['previousRevisionSha256'],
        message: 'must be null for revision 1 and a SHA-256 for later revisions',
      });
    }
    if ((m.revision === 1) !== (m.reason === 'intake')) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: "revision 1 and only revision 1 is 'intake'" });
    }
    const expected = missingOf(m.elements);
    if (expected.join() !== m.missingElements.join()) {
      ctx.addIssue({ code: 'custom', path: ['missingElements'], message: `must be [${expected.join(', ')}]` });
    }
    if (m.revision === 1 && m.changes !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['changes'], message: 'revision 1 changes nothing' });
    }
    if (m.derivative && m.derivative.provenance.sha256 !== m.derivative.sha256) {
      ctx.addIssue({
        code: 'custom',
        path: ['derivative', 'provenance', 'sha256'],
        message: 'differs from derivative',
      });
    }
  });

export type UnplayableMedia = { unplayable: true; error: string };

/** One element's change since the previous revision, as sealed in the new one. */
export interface ManifestChange {
  element: ElementKey;
  /** The value in the previous revision (null: absent). */
  old: unknown;
  /** The value in this revision (null: removed). */
  new: unknown;
  source: ElementSource | null;
  /** Actor of the last audited change of this element since the previous revision. */
  changedBy: string | null;
  changedAt: string | null;
  reason: string | null;
}

export interface Manifest {
  schema: typeof MANIFEST_SCHEMA;
  evidenceId: string;
  /** 1 = intake */
  revision: number;
  /** SHA-256 (hex) of the previous revision's manifest bytes; null for revision 1. */
  previousRevisionSha256: string | null;
  createdAt: string;
  reason: ManifestReason;
  elements: Elements;
  elementSources: ElementSources;
  missingElements: ElementKey[];
  /**
   * Present, but only from a default or a guess (a dock's default place, an mtime time): the
   * revision is complete without caveat only when this and missingElements are both empty.
   */
  unconfirmedElements?: ElementKey[] | undefined;
  original: {
    fileName: string;
    size: number;
    sha256: string;
    deviceId: string | null;
    dockId: string;
    receivedAt: string;
    archiveKey: string;
    exactName?: ExactName | undefined;
    dockPath?: ExactName | undefined;
  };
  media: ProbeResult | UnplayableMedia | null;
  derivative: { archiveKey: string; size: number; sha256: string; provenance: Provenance } | null;
  seal: { certificateSha256: string; development: boolean };
  /** Revisions after the first: what changed since the previous revision, by whom, when, why. */
  changes?: ManifestChange[] | undefined;
  generator: { name: 'sealdock'; version: string; nodeId: string };
}

// Compile-time guard: the zod schema and the hand-written types (ours and the media/elements owners')
// must be mutually assignable, so a changed or new required field fails tsc here. A new OPTIONAL
// field slips through this check; the strict schema then refuses it in buildManifest (BAD_INPUT).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _schemaMatchesType: Same<z.infer<typeof manifestSchema>, Manifest> = true;
void _schemaMatchesType;

export type ManifestInput = Omit<Manifest, 'schema' | 'missingElements' | 'generator'> & {
  generator: { version: string; nodeId: string };
};

/** Which of the five elements are still unknown, in ELEMENT_KEYS order. */
export function missingOf(elements: Elements): ElementKey[] {
  return ELEMENT_KEYS.filter((k) => elements[k] === undefined);
}

/** Pure: builds and validates a manifest. Throws BAD_INPUT naming every invalid field. */
export function buildManifest(input: ManifestInput): Manifest {
  const candidate = {
    ...input,
    schema: MANIFEST_SCHEMA,
    missingElements: missingOf(input.elements),
    generator: { name: 'sealdock', version: input.generator.version, nodeId: input.generator.nodeId },
  };
  const parsed = manifestSchema.safeParse(candidate);
  if (!parsed.success) {
    throw new SealdockError('BAD_INPUT', `manifest is invalid: ${issuesText(parsed.error)}`, {
      issues: parsed.error.issues,
    });
  }
  return parsed.data;
}

/** The next revision of a manifest: links to the previous bytes and bumps the revision number. */
export function buildRevision(
  previous: Manifest,
  previousBytes: Uint8Array,
  changes: Partial<Omit<ManifestInput, 'evidenceId' | 'revision' | 'previousRevisionSha256' | 'original'>> & {
    createdAt: string;
    reason: Exclude<ManifestReason, 'intake'>;
  },
): Manifest {
  const { schema: _s, missingElements: _m, ...rest } = previous;
  return buildManifest({
    ...rest,
    ...changes,
    revision: previous.revision + 1,
    previousRevisionSha256: sha256Hex(previousBytes),
  });
}

/** The signed bytes: UTF-8 of the RFC 8785 canonical JSON. */
export function manifestBytes(m: Manifest): Buffer {
  const text = canonicalize(m);
  if (text === undefined) throw new SealdockError('BAD_INPUT', 'manifest cannot be canonicalised');
  return Buffer.from(text, 'utf8');
}

/** Parses manifest bytes read back from the archive. Throws VERIFY_FAILED unless valid AND canonical. */
export function parseManifest(bytes: Uint8Array): Manifest {
  let value: unknown;
  try {
    // fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: a BOM stays and fails the canonical check.
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch (err) {
    throw new SealdockError('VERIFY_FAILED', 'manifest is not UTF-8 JSON', undefined, { cause: err });
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    throw new SealdockError(
      'VERIFY_FAILED',
      `manifest does not match ${MANIFEST_SCHEMA}: ${issuesText(parsed.error)}`,
      {
        issues: parsed.error.issues,
      },
    );
  }
  // Compare against the canonical form of the raw value (not the parsed one) so nothing zod might
  // normalise can hide a difference.
  if (!Buffer.from(canonicalize(value) ?? '', 'utf8').equals(Buffer.from(bytes))) {
    throw new SealdockError('VERIFY_FAILED', 'manifest bytes are not RFC 8785 canonical JSON');
  }
  return parsed.data;
}

function issuesText(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
