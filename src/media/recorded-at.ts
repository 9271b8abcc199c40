// Resolves 采集时间 (recordedAt) for a recording: from the media's creation time, else from the file
// name, else from the file's mtime; corrected by the device clock offset when known. Every output
// time carries its UTC offset in the chosen IANA zone. Pure: the caller passes mtime and zone.
import { SealdockError } from '../errors.js';
import { zoneFormatter, zoneOffsetMinutes } from '../util/time.js';

export interface FileNamePattern {
  name: string;
  /** Named groups: Y M D h m s (required) and optionally device. */
  regex: RegExp;
}

/** Common recorder naming schemes, most specific first. */
export const DEFAULT_FILENAME_PATTERNS: readonly FileNamePattern[] = Object.freeze([
  {
    // DSJ-031245_20261120081500_0001.MP4 (most 执法记录仪)
    name: 'device_datetime_seq',
    regex: /^(?<device>[^_]+)_(?<Y>\d{4})(?<M>\d{2})(?<D>\d{2})(?<h>\d{2})(?<m>\d{2})(?<s>\d{2})_\d+\.[A-Za-z0-9]+$/,
  },
  {
    // 20261120_081500_A.MP4, 20261120_081500.mp4
    name: 'date_time_any',
    regex: /^(?<Y>\d{4})(?<M>\d{2})(?<D>\d{2})_(?<h>\d{2})(?<m>\d{2})(?<s>\d{2})(?:[^\d].*)?$/,
  },
  {
    // VID_20261120_081500.mp4, REC_20261120_081500_12.mov, DEV01_20261121_173000.mp4
    name: 'prefix_date_time',
    regex: /^[A-Za-z][A-Za-z0-9-]*_(?<Y>\d{4})(?<M>\d{2})(?<D>\d{2})_(?<h>\d{2})(?<m>\d{2})(?<s>\d{2})(?!\d)/,
  },
  {
    // 2026-11-20_08-15-00.mp4, cam 2026-11-20 08.15.00.avi
    name: 'dashed_date_time',
    regex: /(?<!\d)(?<Y>\d{4})-(?<M>\d{2})-(?<D>\d{2})[_ T](?<h>\d{2})[-.:](?<m>\d{2})[-.:](?<s>\d{2})(?!\d)/,
  },
  {
    // any 14-digit run that is a plausible date-time, as a last resort
    name: 'compact_14_digits',
    regex: /(?<!\d)(?<Y>(?:19|20)\d{2})(?<M>\d{2})(?<D>\d{2})(?<h>\d{2})(?<m>\d{2})(?<s>\d{2})(?!\d)/,
  },
]);

export interface RecordedAtInput {
  /** creation_time as the media carries it (usually UTC with Z). */
  creationTime?: string | undefined;
  durationSeconds?: number | undefined;
  /** File name (a path is fine: only the last segment is used). */
  fileName?: string | undefined;
  mtime?: Date | string | number | undefined;
  /** IANA zone for file-name times and for the output offset (default: the host zone). */
  timeZone?: string | undefined;
  /** How far the device clock ran ahead of true time (device − true), in seconds. */
  clockOffsetSeconds?: number | undefined;
  /** Patterns to try; strings are regex sources with named groups. Default DEFAULT_FILENAME_PATTERNS. */
  patterns?: ReadonlyArray<FileNamePattern | RegExp | string> | undefined;
  /** Some devices write local time into creation_time and label it UTC. */
  creationTimeIsLocal?: boolean | undefined;
}

export type RecordedAtSource = 'media' | 'filename' | 'mtime';

export interface RecordedAtResult {
  value: { start: string; durationSeconds?: number };
  source: RecordedAtSource;
  /** Every candidate found, uncorrected, for the manifest. */
  raw: {
    media?: string;
    filename?: { pattern: string; local: string; device?: string };
    mtime?: string;
    rejected?: string[];
  };
  /** The correction applied (null when none was known or the source is mtime, i.e. not the device clock). */
  clockOffsetSeconds: number | null;
  timeZone: string;
}

// Devices with a flat clock battery restart in 1970/2000; such times mean "unknown".
const EARLIEST_PLAUSIBLE = Date.UTC(2000, 0, 2);

export function resolveRecordedAt(input: RecordedAtInput): RecordedAtResult | undefined {
  const timeZone = input.timeZone ?? hostTimeZone();
  assertZone(timeZone);
  const raw: RecordedAtResult['raw'] = {};
  const rejected: string[] = [];

  let media: number | undefined;
  if (input.creationTime) {
    raw.media = input.creationTime;
    media = parseMediaTime(input.creationTime, input.creationTimeIsLocal ? timeZone : undefined);
    if (media === undefined) rejected.push(`media creation_time "${input.creationTime}" is not a plausible time`);
  }

  let fromName: number | undefined;
  if (input.fileName) {
    const hit = matchFileName(input.fileName, input.patterns ?? DEFAULT_FILENAME_PATTERNS);
    if (hit) {
      raw.filename = { pattern: hit.pattern, local: hit.local, ...(hit.device ? { device: hit.device } : {}) };
      fromName = localToInstant(hit.parts, timeZone);
    }
  }

  let mtime: number | undefined;
  if (input.mtime !== undefined) {
    const t = new Date(input.mtime).getTime();
    if (Number.isFinite(t) && t >= EARLIEST_PLAUSIBLE) {
      mtime = t;
      raw.mtime = formatWithOffset(t, timeZone);
    } else {
      rejected.push(`mtime ${String(input.mtime)} is not a plausible time`);
    }
  }
  if (rejected.length) raw.rejected = rejected;

  const offset = input.clockOffsetSeconds;
  const known = offset !== undefined && Number.isFinite(offset);
  let source: RecordedAtSource;
  let instant: number;
  let applied: number | null = null;
  if (media !== undefined || fromName !== undefined) {
    source = media !== undefined ? 'media' : 'filename';
    instant = (media ?? fromName) as number;
    if (known) {
      instant -= offset * 1000;
      applied = offset;
    }
  } else if (mtime !== undefined) {
    source = 'mtime';
    instant = mtime;
  } else {
    return undefined;
  }

  const value: RecordedAtResult['value'] = { start: formatWithOffset(instant, timeZone) };
  if (input.durationSeconds !== undefined && Number.isFinite(input.durationSeconds) && input.durationSeconds >= 0) {
    value.durationSeconds = Math.round(input.durationSeconds * 1000) / 1000;
  }
  return { value, source, raw, clockOffsetSeconds: applied, timeZone };
}

export interface WallClock {
  Y: number;
  M: number;
  D: number;
  h: number;
  m: number;
  s: number;
}

/** First pattern whose groups form a valid date-time. */
export function matchFileName(
  fileName: string,
  patterns: ReadonlyArray<FileNamePattern | RegExp | string>,
): { pattern: string; parts: WallClock; local: string; device?: string } | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  for (const [i, p] of patterns.entries()) {
    const { name, regex } = toPattern(p, i);
    const g = regex.exec(base)?.groups;
    if (!g) continue;
    const parts = {
      Y: +(g.Y ?? NaN),
      M: +(g.M ?? NaN),
      D: +(g.D ?? NaN),
      h: +(g.h ?? 0),
      m: +(g.m ?? 0),
      s: +(g.s ?? 0),
    };
    if (!validWallClock(parts)) continue;
    const local = `${pad(parts.Y, 4)}-${pad(parts.M)}-${pad(parts.D)}T${pad(parts.h)}:${pad(parts.m)}:${pad(parts.s)}`;
    return { pattern: name, parts, local, ...(g.device ? { device: g.device } : {}) };
  }
  return undefined;
}

function toPattern(p: FileNamePattern | RegExp | string, i: number): FileNamePattern {
  if (typeof p === 'string') {
    try {
      return { name: `custom_${i}`, regex: new RegExp(p) };
    } catch (e) {
      throw new SealdockError('BAD_INPUT', `file-name pattern ${JSON.stringify(p)} is not a valid regex`, undefined, {
        cause: e,
      });
    }
  }
  if (p instanceof RegExp) return { name: `custom_${i}`, regex: p };
  return p;
}

function validWallClock(p: WallClock): boolean {
  if (![p.Y, p.M, p.D, p.h, p.m, p.s].every(Number.isInteger)) return false;
  if (p.h > 23 || p.m > 59 || p.s > 59 || p.Y < 1990) return false;
  const d = new Date(Date.UTC(p.Y, p.M - 1, p.D));
  return d.getUTCFullYear() === p.Y && d.getUTCMonth() === p.M - 1 && d.getUTCDate() === p.D;
}

/**
 * Media times: ISO 8601 with Z or an offset (QuickTime's creationdate has "+0800"); without either,
 * ffmpeg's convention (UTC) unless `localZone` says the device wrote local time.
 */
export function parseMediaTime(text: string, localZone?: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(
    text.trim(),
  );
  if (!m) return undefined;
  const parts = { Y: +m[1]!, M: +m[2]!, D: +m[3]!, h: +m[4]!, m: +m[5]!, s: +m[6]! };
  if (!validWallClock(parts)) return undefined;
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  let t: number;
  if (localZone) {
    t = localToInstant(parts, localZone);
  } else {
    const zone = m[8];
    let offMin = 0;
    if (zone && zone.toUpperCase() !== 'Z') {
      const z = zone.replace(':', '');
      offMin = (z[0] === '-' ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5)));
    }
    t = Date.UTC(parts.Y, parts.M - 1, parts.D, parts.h, parts.m, parts.s) - offMin * 60_000;
  }
  t += ms;
  return t >= EARLIEST_PLAUSIBLE ? t : undefined;
}

/**
 * Wall-clock time in `timeZone` → instant. In a DST gap the later offset wins; in an overlap the
 * first (earlier) occurrence.
 */
export function localToInstant(p: WallClock, timeZone: string): number {
  const wall = Date.UTC(p.Y, p.M - 1, p.D, p.h, p.m, p.s);
  const first = zoneOffsetMinutes(timeZone, wall);
  let t = wall - first * 60_000;
  const second = zoneOffsetMinutes(timeZone, t);
  if (second !== first) {
    const t2 = wall - second * 60_000;
    // keep the candidate that reads back as the same wall clock, if any
    t = zoneOffsetMinutes(timeZone, t2) === second ? t2 : t;
  }
  // overlap (e.g. 01:30 twice): prefer the earlier instant
  const earlier = t - 60 * 60_000;
  if (wall - zoneOffsetMinutes(timeZone, earlier) * 60_000 === earlier) t = earlier;
  return t;
}

/** "2026-11-20T08:15:00+08:00" (milliseconds only when present). */
export function formatWithOffset(ms: number, timeZone: string): string {
  const off = zoneOffsetMinutes(timeZone, ms);
  const d = new Date(ms + off * 60_000);
  const frac = d.getUTCMilliseconds() ? `.${pad(d.getUTCMilliseconds(), 3)}` : '';
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac}` +
    `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`
  );
}

export function hostTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

function assertZone(timeZone: string): void {
  try {
    zoneFormatter(timeZone);
  } catch (e) {
    throw new SealdockError('BAD_INPUT', `unknown time zone "${timeZone}"`, undefined, { cause: e });
  }
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}
