// The media service the pipeline uses: probe, plan, derive (through two bounded lanes), stream
// hashes and tool checks, all bound to one config. Remuxes and transcodes have separate lanes so a
// 0.2 s stream copy never waits behind a 40 s x264 run.
import { checkTools, ffmpegVersion, streamHashes } from './ffmpeg.js';
import { deriveMedia, type DeriveConfig, type DeriveRequest } from './derive.js';
import { needsEncoder, planDerivative } from './plan.js';
import { probeMedia } from './probe.js';
import { MediaQueue } from './queue.js';
import type { DerivativePlan, ProbeOutcome, ProbeResult, Provenance } from './types.js';

/** The derive settings (less its tuning knobs) plus what only the service needs. */
export type MediaConfig = Omit<DeriveConfig, 'crf' | 'killGraceMs' | 'fontCandidates'> & {
  ffprobePath: string;
  /** Remuxes (and audio-only or no-derivative jobs) at once. */
  concurrency: number;
  /** Transcodes (x264) at once; default 1. */
  transcodeConcurrency?: number;
  /** Probing has its own short limit, apart from the long derive timeout. */
  probeTimeoutSeconds: number;
};

export type MediaLane = 'remux' | 'transcode';

export interface MediaService {
  readonly config: Readonly<MediaConfig>;
  readonly queues: Readonly<Record<MediaLane, MediaQueue>>;
  probe(file: string, opts?: { signal?: AbortSignal; decode?: boolean }): Promise<ProbeOutcome>;
  plan(probe: ProbeResult): DerivativePlan;
  /** The lane a plan's job runs in (transcode when it needs x264, burn-in included). */
  laneOf(plan: DerivativePlan, burnIn?: boolean): MediaLane;
  /** Runs in its lane's queue; `label` shows in status (default: the output file name). */
  derive(req: DeriveRequest & { label?: string }): Promise<Provenance>;
  streamHashes(file: string, maps?: string[]): Promise<string[]>;
  checkTools(): Promise<{ ffmpeg: string; ffprobe: string }>;
  ffmpegVersion(): Promise<string>;
}

export function createMediaService(config: MediaConfig): MediaService {
  const cfg = Object.freeze({ ...config });
  const queues = Object.freeze({
    remux: new MediaQueue(cfg.concurrency),
    transcode: new MediaQueue(cfg.transcodeConcurrency ?? 1),
  });
  const laneOf = (plan: DerivativePlan, burnIn = cfg.burnIn): MediaLane =>
    needsEncoder(plan, burnIn) ? 'transcode' : 'remux';
  return {
    config: cfg,
    queues,
    laneOf,
    probe: (file, opts = {}) =>
      probeMedia(file, {
        ffprobePath: cfg.ffprobePath,
        ffmpegPath: cfg.ffmpegPath,
        timeoutSeconds: cfg.probeTimeoutSeconds,
        ...opts,
      }),
    plan: (probe) => planDerivative(probe),
    derive: ({ label, ...req }) =>
      queues[laneOf(req.plan ?? planDerivative(req.probe), req.burnIn)].run(label ?? req.output, (ctx) =>
        deriveMedia(
          {
            ...req,
            signal: req.signal ? AbortSignal.any([req.signal, ctx.signal]) : ctx.signal,
            onProgress: (p) => {
              ctx.progress(p);
              req.onProgress?.(p);
            },
          },
          cfg,
        ),
      ),
    streamHashes: (file, maps) => streamHashes(cfg.ffmpegPath, file, maps, { timeoutSeconds: cfg.timeoutSeconds }),
    checkTools: () => checkTools(cfg),
    ffmpegVersion: () => ffmpegVersion(cfg.ffmpegPath),
  };
}

export type { DeriveRequest } from './derive.js';
export type { JobStatus } from './queue.js';
export type { RecordedAtInput, RecordedAtResult } from './recorded-at.js';
export type * from './types.js';
export { MediaQueue } from './queue.js';
export { planDerivative, needsEncoder } from './plan.js';
export { probeMedia } from './probe.js';
export { deriveMedia, stampTagMap, describeStamp } from './derive.js';
export { resolveRecordedAt, DEFAULT_FILENAME_PATTERNS, formatWithOffset } from './recorded-at.js';
export { parseIso6709, formatIso6709 } from './iso6709.js';
