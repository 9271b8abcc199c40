// The typed configuration, validated once at start. Unknown keys are errors: a typo in an
// evidence system's config must not silently fall back to a default.
import { z } from 'zod';

const nonEmpty = z.string().min(1);
const nullableString = nonEmpty.nullable().default(null);

export const DockSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, _ and - only (max 64)'),
  path: nonEmpty,
  layout: z.enum(['device-folder', 'flat']).default('device-folder'),
  place: nullableString,
  purpose: nullableString,
  release: z.enum(['keep', 'delete']).default('keep'),
  timezone: nullableString,
  fileNamePatterns: z
    .array(nonEmpty)
    .default(['device_datetime_seq', 'date_time_any', 'prefix_date_time', 'dashed_date_time', 'compact_14_digits']),
});

const ianaZone = nonEmpty.refine((z) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: z });
    return true;
  } catch {
    return false;
  }
}, 'not an IANA time zone (e.g. Asia/Shanghai)');

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day HH:MM (24 h)');

export const ConfigSchema = z.strictObject({
  dataDir: nonEmpty,
  nodeId: nullableString,
  timezone: ianaZone.default('Asia/Shanghai'),
  docks: z.array(DockSchema).default([]),
  intake: z.strictObject({
    quietPeriodMs: z.number().int().min(0).max(3_600_000),
    pollIntervalMs: z.number().int().min(50).max(600_000),
    scanIntervalMs: z.number().int().min(100).max(3_600_000).default(30_000),
    maxDepth: z.number().int().min(0).max(1000).default(64),
    stalledGraceMs: z.number().int().min(0).max(86_400_000).default(120_000),
    maxFileBytes: z.number().int().positive(),
    sidecarMaxBytes: z
      .number()
      .int()
      .positive()
      .max(10 * 1024 * 1024),
  }),
  media: z.strictObject({
    ffmpegPath: nonEmpty,
    ffprobePath: nonEmpty,
    concurrency: z.number().int().min(0).max(64),
    transcodeConcurrency: z.number().int().min(1).max(64),
    transcode: z.enum(['eager', 'off-peak', 'on-demand']),
    offPeak: z
      .strictObject({ start: clockTime, end: clockTime })
      .refine((w) => w.start !== w.end, 'start and end must differ'),
    maxHeight: z.number().int().min(144).max(4320),
    preset: nonEmpty,
    nice: z.number().int().min(0).max(19),
    timeoutSeconds: z.number().int().positive(),
    /** ffprobe + the first-frames decode check: short, a hung probe only holds its own item. */
    probeTimeoutSeconds: z.number().int().positive().max(3600).default(60),
    burnIn: z.boolean(),
  }),
  elements: z.strictObject({
    caseNumberPattern: nonEmpty.refine((p) => {
      try {
        new RegExp(p, 'u');
        return true;
      } catch {
        return false;
      }
    }, 'not a valid regular expression'),
    unconfirmedBlocksDerivation: z.boolean().default(false),
  }),
  archive: z.strictObject({
    backend: z.enum(['local', 's3']),
    local: z.strictObject({ path: nonEmpty }),
    s3: z.strictObject({
      endpoint: nullableString,
      region: nonEmpty,
      bucket: nullableString,
      forcePathStyle: z.boolean(),
      partSizeMiB: z.number().int().min(5).max(5120),
      queueSize: z.number().int().min(1).max(16),
      verify: z.enum(['checksum', 'readback']),
      requestTimeoutMs: z.number().int().positive(),
    }),
    retention: z.strictObject({
      days: z.number().int().min(183, 'must be at least 183 (six months)'),
      legalHold: z.strictObject({
        purposes: z.array(nonEmpty).default([]),
      }),
    }),
  }),
  pipeline: z.strictObject({
    workers: z.number().int().min(1).max(32),
    retry: z.strictObject({
      baseDelayMs: z.number().int().min(10),
      maxDelayMs: z.number().int().min(10),
    }),
  }),
  seal: z.strictObject({
    keyFile: nullableString,
    certFile: nullableString,
    chainFile: nullableString,
    pkcs12File: nullableString,
    passphraseEnv: nonEmpty,
    tsaUrl: z.url().nullable().default(null),
    tsaTimeoutMs: z.number().int().positive().default(15000),
    organisation: nullableString,
    trustedCaFiles: z.array(nonEmpty).default([]),
    tsaTrustedCaFiles: z.array(nonEmpty).default([]),
  }),
  api: z.strictObject({
    enabled: z.boolean(),
    host: nonEmpty,
    port: z.number().int().min(0).max(65535),
    tls: z
      .strictObject({ keyFile: nullableString, certFile: nullableString })
      .default({ keyFile: null, certFile: null }),
    maxUploadBytes: z.number().int().positive().default(68_719_476_736),
    maxHeaderBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
    maxUrlLength: z.number().int().min(256).max(65_536).default(4096),
    maxParamLength: z.number().int().min(64).max(8192).default(1024),
    rateLimit: z
      .strictObject({ max: z.number().int().positive(), timeWindowMs: z.number().int().positive() })
      .default({ max: 600, timeWindowMs: 60_000 }),
    playbackTicketMinutes: z.number().int().min(1).max(240).default(10),
    uploads: z
      .strictObject({
        maxConcurrent: z.number().int().min(1).max(1024),
        idleTimeoutMs: z.number().int().min(100),
        minBytesPerSecond: z.number().int().min(0),
        rateWindowMs: z.number().int().min(100),
        spoolReserveBytes: z.number().int().min(0),
      })
      .default({
        maxConcurrent: 8,
        idleTimeoutMs: 30_000,
        minBytesPerSecond: 16_384,
        rateWindowMs: 60_000,
        spoolReserveBytes: 1_073_741_824,
      }),
  }),
  audit: z
    .strictObject({
      sealIntervalMs: z.number().int().min(1000).max(3_600_000).default(60_000),
      sealMaxRows: z.number().int().min(1).max(20_000).default(500),
    })
    .default({ sealIntervalMs: 60_000, sealMaxRows: 500 }),
  log: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    format: z.enum(['auto', 'json', 'pretty']).default('auto'),
  }),
});

export type Config = z.infer<typeof ConfigSchema>;
export type DockConfig = z.infer<typeof DockSchema>;
