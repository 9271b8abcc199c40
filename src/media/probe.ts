// ffprobe JSON → ProbeOutcome. A file that ffprobe cannot read, or whose first frames do not
// decode, is reported as {ok:false} with ffprobe's/ffmpeg's own words: that is what marks an item
// `unplayable`. A missing tool or a hung probe throws instead, because that says nothing about the file.
import { decodeCheck, ffprobeJson } from './ffmpeg.js';
import { parseIso6709 } from './iso6709.js';
import type { ProbeOutcome, ProbeResult, StreamInfo } from './types.js';

export interface ProbeOptions {
  ffprobePath: string;
  ffmpegPath: string;
  timeoutSeconds?: number;
  signal?: AbortSignal;
  /** Also decode a few frames (default true): some damaged files still probe. */
  decode?: boolean;
}

interface RawStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  pix_fmt?: string;
  profile?: string;
  level?: number;
  sample_rate?: string;
  channels?: number;
  nb_frames?: string;
  disposition?: Record<string, number>;
  tags?: Record<string, string>;
}

interface RawProbe {
  streams?: RawStream[];
  format?: { format_name?: string; duration?: string; tags?: Record<string, string> };
  /** frames decoded from the first packets (only when asked for) */
  frames?: { stream_index?: number }[];
}

/**
 * Packets the probe decodes from the start of the file (all streams together). In the footage we
 * take (audio and video interleaved in time, ~1.5 audio packets per video frame) that yields 4–5
 * decoded pictures, more than the 3 the separate check asks for.
 */
const PROBE_DECODE_PACKETS = 12;

const STILL_FORMATS = /^(image2|[a-z0-9]+_pipe|gif|webp)$/;
const STILL_CODECS = new Set(['mjpeg', 'png', 'bmp', 'tiff', 'webp', 'gif', 'jpegls', 'jpeg2000', 'heic']);
const DEVICE_TAG = /(^|\.)(make|model|software|firmware|serial|serial_?number|device|device_?id)$/i;
const LOCATION_TAGS = ['location', 'location-eng', 'com.apple.quicktime.location.iso6709'];
const CREATION_TAGS = ['creation_time', 'com.apple.quicktime.creationdate'];

/**
 * Probes a file and (unless `decode: false`) proves that its first frames decode. The proof is
 * normally made by the probe itself: ffprobe decodes the first packets in the same run, and one
 * frame of the stream the check is about (the first video stream, or the first audio stream of
 * an audio file) given back by its decoder is what the separate check accepts too. When the probe
 * saw none (an odd interleave, a damaged start), the separate ffmpeg check decides, with its own
 * words for a file that does not play: no file passes on less than before.
 */
export async function probeMedia(file: string, opts: ProbeOptions): Promise<ProbeOutcome> {
  const spawnOpts = { timeoutSeconds: opts.timeoutSeconds, signal: opts.signal };
  const decode = opts.decode !== false;
  const raw = await ffprobeJson(opts.ffprobePath, file, {
    ...spawnOpts,
    ...(decode ? { firstPackets: PROBE_DECODE_PACKETS } : {}),
  });
  if (!raw.ok) return { ok: false, error: raw.error };
  const json = raw.json as RawProbe;
  const probe = toProbeResult(json);
  if (!probe.ok) return probe;
  if (decode) {
    const select = probe.probe.kind === 'audio' ? 'audio' : 'video';
    if (decodedByProbe(json, select)) return probe;
    const d = await decodeCheck(opts.ffmpegPath, file, select, spawnOpts);
    if (!d.ok) return { ok: false, error: `cannot decode ${select}: ${d.error}` };
  }
  return probe;
}

/** Whether the probe's own decode gave back a frame of the stream `0:v:0` / `0:a:0` names. */
function decodedByProbe(raw: RawProbe, select: 'video' | 'audio'): boolean {
  const first = (raw.streams ?? []).find((s) => s.codec_type === select);
  if (first?.index === undefined) return false;
  return (raw.frames ?? []).some((f) => f.stream_index === first.index);
}

/** Pure mapping of ffprobe's JSON (exported for tests and for re-reading stored probes). */
export function toProbeResult(raw: RawProbe): ProbeOutcome {
  const container = raw.format?.format_name ?? '';
  const rawStreams = raw.streams ?? [];
  const streams = rawStreams.map(toStream);
  // cover art in audio files is a "video" stream too; it does not make a recording a video
  const pictures = rawStreams.filter((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const hasAudio = streams.some((s) => s.type === 'audio');
  const duration = num(raw.format?.duration);

  let kind: ProbeResult['kind'];
  if (pictures.length > 0) {
    const first = pictures[0] as RawStream;
    const single =
      STILL_FORMATS.test(container) ||
      (!hasAudio && STILL_CODECS.has(first.codec_name ?? '') && (first.nb_frames === '1' || !duration));
    kind = single && !hasAudio ? 'still' : 'video';
  } else if (hasAudio) {
    kind = 'audio';
  } else {
    return { ok: false, error: `no audio or video stream in ${container || 'unknown container'}` };
  }

  const tags = { ...(raw.format?.tags ?? {}) };
  const streamTags = rawStreams.map((s) => s.tags ?? {});
  const creationTime = pick(tags, CREATION_TAGS) ?? streamTags.map((t) => pick(t, CREATION_TAGS)).find(Boolean);
  const locRaw = pick(tags, LOCATION_TAGS);
  const point = locRaw ? parseIso6709(locRaw) : undefined;
  const deviceTags: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) if (DEVICE_TAG.test(k)) deviceTags[k] = v;

  const result: ProbeResult = {
    container,
    durationSeconds: duration,
    kind,
    streams,
    creationTime,
    location: locRaw && point ? { raw: locRaw, lat: point.lat, lon: point.lon } : undefined,
    deviceTags: Object.keys(deviceTags).length ? deviceTags : undefined,
    tags,
  };
  return { ok: true, probe: result };
}

function toStream(s: RawStream, i: number): StreamInfo {
  const type = (['video', 'audio', 'data', 'subtitle'] as const).find((t) => t === s.codec_type) ?? 'other';
  return {
    index: s.index ?? i,
    type,
    codec: s.codec_name ?? 'unknown',
    width: s.width,
    height: s.height,
    frameRate: type === 'video' ? (rate(s.avg_frame_rate) ?? rate(s.r_frame_rate)) : undefined,
    pixelFormat: s.pix_fmt,
    profile: s.profile,
    // ffprobe says -99 when it does not know
    level: typeof s.level === 'number' && s.level > 0 ? s.level : undefined,
    sampleRate: num(s.sample_rate),
    channels: s.channels,
  };
}

function pick(tags: Record<string, string>, keys: string[]): string | undefined {
  for (const want of keys) {
    for (const [k, v] of Object.entries(tags)) if (k.toLowerCase() === want && v.trim()) return v.trim();
  }
  return undefined;
}

function num(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  // Durations, sizes and rates are never negative; a damaged header that says so is ignored.
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function rate(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const [a, b] = v.split('/').map(Number);
  if (a === undefined || !Number.isFinite(a) || a <= 0) return undefined;
  const r = b === undefined ? a : b > 0 ? a / b : NaN;
  return Number.isFinite(r) ? Math.round(r * 1000) / 1000 : undefined;
}
