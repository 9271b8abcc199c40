// What the rest of the daemon knows about media. ffmpeg/ffprobe (via fluent-ffmpeg) live behind
// src/media/ffmpeg.ts only.

export interface StreamInfo {
  index: number;
  type: 'video' | 'audio' | 'data' | 'subtitle' | 'other';
  codec: string;
  width?: number | undefined;
  height?: number | undefined;
  frameRate?: number | undefined;
  pixelFormat?: string | undefined;
  /** ffprobe's codec profile, e.g. "High", "Constrained Baseline", "Main 10". */
  profile?: string | undefined;
  /** ffprobe's codec level (H.264: level × 10, e.g. 40 = 4.0); absent when unknown. */
  level?: number | undefined;
  sampleRate?: number | undefined;
  channels?: number | undefined;
}

export interface ProbeResult {
  /** ffprobe format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2" */
  container: string;
  durationSeconds?: number | undefined;
  /** Kind of recording as far as playback is concerned. */
  kind: 'video' | 'audio' | 'still';
  streams: StreamInfo[];
  /** creation_time tag as written by the device (raw string, usually UTC). */
  creationTime?: string | undefined;
  /** ISO 6709 location tag, raw, and parsed. */
  location?: { raw: string; lat: number; lon: number } | undefined;
  /** make/model/device tags when present. */
  deviceTags?: Record<string, string> | undefined;
  /** All format-level tags, raw. */
  tags: Record<string, string>;
}

export type ProbeOutcome = { ok: true; probe: ProbeResult } | { ok: false; error: string };

export type DerivativeMode = 'remux' | 'transcode' | 'audio' | 'none';

export interface DerivativePlan {
  mode: DerivativeMode;
  reason: string;
}

export interface Provenance {
  /** how (制作方法) */
  method: DerivativeMode;
  ffmpegVersion: string;
  /** Full argument list, exactly as ffmpeg was run (paths relative to the job folder). */
  args: string[];
  startedAt: string;
  finishedAt: string;
  nodeId: string;
  /** by whom (制作人): the daemon identity and, where a person asked for it, that person. */
  madeBy: string;
  parentSha256: string;
  sha256: string;
  size: number;
  /**
   * Per-stream SHA-256 of the packets of original and derivative for stream copies (must be equal),
   * in ffmpeg's streamhash format. `hashedBy`: sealdock's own MP4 sample-table reader (whose hashes
   * equal ffmpeg's for the layouts it accepts) or ffmpeg itself; absent in revisions made before.
   */
  streamHashes?: { original: string[]; derivative: string[]; hashedBy?: 'sealdock' | 'ffmpeg' | undefined } | undefined;
  /** Why this method was chosen (from the plan). */
  reason?: string | undefined;
  /** Whether case number, time and place were burnt into the picture. */
  burnIn?: boolean | undefined;
}

/** Tags stamped into the derivative's container (readable with ffprobe -show_entries format_tags). */
export interface StampTags {
  evidenceId: string;
  originalSha256: string;
  caseNumber?: string | undefined;
  recordedAt?: string | undefined;
  place?: string | undefined;
  collector?: string | undefined;
  purpose?: string | undefined;
  /** UTC, becomes creation_time */
  creationTimeUtc?: string | undefined;
  /** ISO 6709, becomes location */
  location?: string | undefined;
}
