// Decides how the playback derivative is made. Pure. Remux (stream copy, bit-identical picture and
// sound) whenever browsers can already play the streams: it is ~100× cheaper than a transcode and
// changes nothing a court might question.
import type { DerivativePlan, ProbeResult } from './types.js';

export interface PlanOptions {
  /** Highest picture height a derivative may have (default 720). */
  maxHeight?: number;
}

const MP4_FAMILY = /(^|,)(mov|mp4)(,|$)/;

export function planDerivative(probe: ProbeResult, opts: PlanOptions = {}): DerivativePlan {
  const maxHeight = opts.maxHeight ?? 720;
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
  if (video.codec !== 'h264') why.push(`video codec ${video.codec}`);
  if (video.pixelFormat !== 'yuv420p') why.push(`pixel format ${video.pixelFormat ?? 'unknown'}`);
  if (video.height === undefined) why.push('unknown height');
  else if (video.height > maxHeight) why.push(`height ${video.height} > ${maxHeight}`);
  if (audio && audio.codec !== 'aac') why.push(`audio codec ${audio.codec}`);

  if (why.length === 0) return { mode: 'remux', reason: 'H.264/AAC in MP4/MOV within the height cap: stream copy' };
  return { mode: 'transcode', reason: `transcode to H.264/AAC: ${why.join(', ')}` };
}
