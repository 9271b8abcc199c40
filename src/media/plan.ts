// Decides how the playback derivative is made. Pure. Remux (stream copy, bit-identical picture and
// sound) whenever browsers can already play the streams, whatever their height: it is ~200× cheaper
// than a transcode and changes nothing a court might question. Only what browsers cannot play is
// transcoded (to H.264/AAC, at most `maxHeight` lines).
import type { DerivativePlan, ProbeResult, StreamInfo } from './types.js';

const MP4_FAMILY = /(^|,)(mov|mp4)(,|$)/;

/**
 * H.264 profiles every current browser decodes (Chrome, Edge, Firefox, Safari; hardware or
 * software). High 10 / 4:2:2 / 4:4:4 and Extended are not among them.
 */
const PLAYABLE_H264_PROFILES = new Set(['constrained baseline', 'baseline', 'main', 'high']);

/**
 * 8-bit 4:2:0. `yuvj420p` is the same sampling with the full-range flag set (many body cameras
 * write it): browsers decode it and honour the flag, so a remux keeps it playable.
 */
const PLAYABLE_PIXEL_FORMATS = new Set(['yuv420p', 'yuvj420p']);

/** Up to 1920×1088 in either orientation (1080p): any declared level up to 5.2 is fine. */
const HD_MACROBLOCKS = (1920 / 16) * (1088 / 16);
/**
 * Beyond 1080p only when the stream declares a level whose limits browsers' decoders support:
 * 5.2 (up to 4096×2304, 36 864 macroblocks per frame). Larger frames, or an unknown level, are
 * transcoded.
 */
const UHD_MAX_LEVEL = 52;
const UHD_MACROBLOCKS = 36_864;

/** Why a video stream is not browser-playable H.264, or [] when it is. */
export function h264Obstacles(video: StreamInfo): string[] {
  const why: string[] = [];
  if (video.codec !== 'h264') return [`video codec ${video.codec}`];
  const profile = video.profile?.toLowerCase();
  if (profile !== undefined && !PLAYABLE_H264_PROFILES.has(profile)) why.push(`H.264 profile ${video.profile}`);
  if (!PLAYABLE_PIXEL_FORMATS.has(video.pixelFormat ?? '')) why.push(`pixel format ${video.pixelFormat ?? 'unknown'}`);
  if (video.width === undefined || video.height === undefined) {
    why.push('unknown picture size');
    return why;
  }
  const macroblocks = Math.ceil(video.width / 16) * Math.ceil(video.height / 16);
  const level = video.level;
  if (macroblocks <= HD_MACROBLOCKS) {
    if (level !== undefined && level > UHD_MAX_LEVEL) why.push(`H.264 level ${level / 10} > ${UHD_MAX_LEVEL / 10}`);
  } else if (macroblocks > UHD_MACROBLOCKS) {
    why.push(`picture ${video.width}×${video.height} beyond what H.264 level ${UHD_MAX_LEVEL / 10} allows`);
  } else if (level === undefined) {
    why.push(`picture ${video.width}×${video.height} above 1080p with no declared H.264 level`);
  } else if (level > UHD_MAX_LEVEL) {
    why.push(`H.264 level ${level / 10} > ${UHD_MAX_LEVEL / 10}`);
  }
  return why;
}

export function planDerivative(probe: ProbeResult): DerivativePlan {
  if (probe.kind === 'still') return { mode: 'none', reason: 'a still image needs no playback derivative' };

  const audio = probe.streams.find((s) => s.type === 'audio');
  if (probe.kind === 'audio') {
    return {
      mode: 'audio',
      reason: audio?.codec === 'aac' ? 'audio only: AAC copied into MP4' : `audio only: ${audio?.codec} → AAC`,
    };
  }

  const video = probe.streams.find((s) => s.type === 'video');
  if (!video) return { mode: 'none', reason: 'no video stream' };
  const why: string[] = [];
  if (!MP4_FAMILY.test(probe.container)) why.push(`container ${probe.container}`);
  why.push(...h264Obstacles(video));
  if (audio && audio.codec !== 'aac') why.push(`audio codec ${audio.codec}`);

  if (why.length === 0) {
    const level = video.level !== undefined ? `, level ${video.level / 10}` : '';
    return {
      mode: 'remux',
      reason: `browser-playable H.264${audio ? '/AAC' : ''} in MP4/MOV (${video.width}×${video.height}${level}): stream copy`,
    };
  }
  return { mode: 'transcode', reason: `transcode to H.264/AAC: ${why.join(', ')}` };
}

/**
 * Whether making this derivative needs x264 (the expensive lane that `media.transcode` schedules):
 * a transcode plan, or a remux turned into one by burn-in.
 */
export function needsEncoder(plan: DerivativePlan, burnIn: boolean): boolean {
  return plan.mode === 'transcode' || (burnIn && plan.mode === 'remux');
}
